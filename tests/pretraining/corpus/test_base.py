import csv
import json

import numpy as np

from synthio.pretraining.corpus.base import CorpusItem, build_corpus, build_source


class Fake:
    name = "fake"
    licence = "test"

    def __init__(self, n=4, fail_at=None):
        self.n, self.fail_at, self.rendered = n, fail_at, []

    def available(self):
        return None

    def keys(self):
        return [f"k{i}" for i in range(self.n)]

    def items(self, skip):
        for i, key in enumerate(self.keys()):
            if key in skip:
                continue
            if i == self.fail_at:
                raise KeyboardInterrupt("killed")
            self.rendered.append(key)
            t = np.arange(8000) / 16000
            yield CorpusItem(key, "tone", f"Sound of a tone {i}", (0.3 * np.sin(2 * np.pi * 300 * (i + 1) * t)).astype(np.float32), 16000)


class Missing(Fake):
    name = "missing"

    def available(self):
        return "not installed here"


def test_build_writes_audiofolder_with_captions_and_skips_missing_sources(tmp_path, capsys):
    out = build_corpus([Fake(), Missing()], tmp_path / "c")
    rows = list(csv.DictReader(open(out / "metadata.csv")))
    assert [r["file_name"] for r in rows] == [f"fake/k{i}.flac" for i in range(4)]
    assert rows[0]["caption"].startswith("Sound of a tone 0") and rows[0]["source"] == "fake"
    assert all((out / r["file_name"]).is_file() for r in rows)
    assert "skipping missing" in capsys.readouterr().err.replace("\n", " ")


def test_killed_build_resumes_without_duplicates_or_rerendering(tmp_path):
    out = tmp_path / "c"
    out.mkdir()
    try:
        build_source(Fake(fail_at=2), out)
    except KeyboardInterrupt:
        pass
    with open(out / "fake.rows.jsonl", "a") as f:
        f.write('{"key": "k2", "file_na')  # a row cut mid-write
    again = Fake()
    build_corpus([again], out)
    assert again.rendered == ["k2", "k3"]
    rows = [json.loads(line) for line in (out / "fake.rows.jsonl").read_text().splitlines()]
    assert [r["key"] for r in rows] == ["k0", "k1", "k2", "k3"]
    third = Fake()
    build_corpus([third], out)
    assert third.rendered == []
