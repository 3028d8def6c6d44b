import csv
import json

import numpy as np
import pytest

from synthio.pretraining.corpus.base import CorpusItem, build_corpus, build_source, corpus_stats, load_corpus


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


class Needs(Fake):
    def __init__(self, name, requires):
        super().__init__(n=1)
        self.name, self.requires = name, requires


def test_install_line_names_exactly_the_missing_packages(tmp_path, monkeypatch, capsys):
    import shutil

    from synthio.pretraining.corpus.base import install_line, missing_packages

    (tmp_path / "present").mkdir()
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/" + name if name == "here-tool" else None)
    sources = [Needs("a", {"pkg-present": str(tmp_path / "present"), "pkg-gone": str(tmp_path / "gone")}),
               Needs("b", {"pkg-gone": str(tmp_path / "gone"), "pkg-tool": "absent-tool", "pkg-here": "here-tool"}), Fake()]
    assert missing_packages(sources) == ["pkg-gone", "pkg-tool"]
    assert install_line(sources) == "apt-get install -y pkg-gone pkg-tool"
    assert install_line([Fake()]) is None
    build_corpus(sources, tmp_path / "c")
    assert "apt-get install -y pkg-gone pkg-tool" in capsys.readouterr().err.replace("\n", " ")


def test_stats_per_source_are_written(tmp_path):
    out = build_corpus([Fake(n=3)], tmp_path / "c")
    stats = json.loads((out / "corpus_stats.json").read_text())
    assert stats["fake"]["clips"] == 3 and stats["fake"]["distinct_captions"] == 3
    assert abs(stats["fake"]["hours"] - 3 * 0.5 / 3600) < 1e-3 and stats["total"]["sources"] == 1


class Repeats(Fake):
    """A source whose keys (or yielded items) repeat one key."""

    def __init__(self, name, keys, yields=None):
        super().__init__(n=len(keys))
        self.name, self._keys, self._yields = name, keys, yields or keys

    def keys(self):
        return list(self._keys)

    def items(self, skip):
        for key in self._yields:
            if key not in skip:
                yield CorpusItem(key, "tone", "Sound of a tone", (0.3 * np.sin(np.arange(8000) / 4)).astype(np.float32), 16000)


def test_a_source_with_a_repeated_key_is_refused_before_it_overwrites_a_file(tmp_path):
    from synthio.errors import SynthioError

    with pytest.raises(SynthioError, match=r"source twice has 1 keys shared by several items.*: bell"):
        build_source(Repeats("twice", ["bell", "door", "bell"]), tmp_path)
    assert not (tmp_path / "twice").exists()
    with pytest.raises(ValueError, match="source sneaky yielded the key bell twice"):
        build_source(Repeats("sneaky", ["bell", "door"], yields=["bell", "door", "bell"]), tmp_path)


def test_a_folder_of_someone_elses_files_a_file_or_other_settings_are_refused_and_nothing_is_written(tmp_path):
    from synthio.errors import SynthioError

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "corpus_stats.json").write_text('{"mine": 1}')
    with pytest.raises(SynthioError, match="not empty and holds no corpus build"):
        build_corpus([Repeats("one", ["a"])], mine)
    assert [p.name for p in mine.iterdir()] == ["corpus_stats.json"] and (mine / "corpus_stats.json").read_text() == '{"mine": 1}'
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(SynthioError, match="is a file, not a folder"):
        build_corpus([Repeats("one", ["a"])], tmp_path / "file.txt")
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(SynthioError, match="max_seconds must be a number of seconds >= 0.1"):
            build_corpus([Repeats("one", ["a"])], tmp_path / "new", max_seconds=bad)
    assert not (tmp_path / "new").exists()
    build_corpus([Repeats("one", ["a"])], tmp_path / "built", max_seconds=2.0)
    with pytest.raises(SynthioError, match=r"was built with max_seconds 2.0, not max_seconds 3.0"):
        build_corpus([Repeats("one", ["a"]), Repeats("two", ["b"])], tmp_path / "built", max_seconds=3.0)
    assert not (tmp_path / "built" / "two.rows.jsonl").exists()
    build_corpus([Repeats("one", ["a"]), Repeats("two", ["b"])], tmp_path / "built", max_seconds=2.0)
    assert (tmp_path / "built" / "two.done").exists()


def test_a_sources_own_settings_are_recorded_as_it_begins_and_a_rerun_that_changes_them_is_refused(tmp_path):
    import json

    from synthio.errors import SynthioError
    from synthio.pretraining.corpus.base import SETTINGS
    from synthio.pretraining.corpus.mixtures import Mixtures

    class Counted(Repeats):
        def __init__(self, name, keys, count, ready=True):
            super().__init__(name, keys)
            self.count, self.ready = count, ready

        def settings(self):
            return {"count": self.count}

        def available(self):
            return None if self.ready else "not ready"

    assert Mixtures(None, ["one"], count=7, seed=2).settings() == {"mixtures": 7, "mixtures_seed": 2}
    record = lambda: json.loads((tmp_path / "c" / SETTINGS).read_text())  # noqa: E731
    build_corpus([Repeats("one", ["a"]), Counted("counted", ["b"], count=3, ready=False)], tmp_path / "c")
    assert record() == {"sample_rate": 16000, "max_seconds": 4.0}  # skipped, so nothing of it is recorded and any count may come next
    build_corpus([Repeats("one", ["a"]), Counted("counted", ["b"], count=5)], tmp_path / "c")
    assert record() == {"sample_rate": 16000, "max_seconds": 4.0, "count": 5} and (tmp_path / "c" / "counted.done").exists()
    with pytest.raises(SynthioError, match="was built with count 5, not count 6"):
        build_corpus([Repeats("one", ["a"]), Counted("counted", ["b"], count=6)], tmp_path / "c")
    build_corpus([Repeats("one", ["a"]), Repeats("two", ["c"])], tmp_path / "c")  # without it, its record stays
    assert record()["count"] == 5 and (tmp_path / "c" / "two.done").exists()


def test_a_source_whose_rows_select_nothing_is_skipped_and_the_others_are_built(tmp_path, capsys):
    from synthio.dataset import SelectionError

    class Partial(Repeats):
        def keys(self):
            raise SelectionError("fold=2 matches no row of data/metadata.csv")

    build_corpus([Partial("partial", ["a"]), Repeats("whole", ["b"])], tmp_path / "c")
    assert "skipping partial: fold=2 matches no row" in " ".join(capsys.readouterr().err.split())
    assert (tmp_path / "c/whole.done").exists() and not (tmp_path / "c/partial.done").exists()


def test_total_distinct_captions_count_each_caption_once_across_sources(tmp_path):
    one, two = Repeats("one", ["a", "b"]), Repeats("two", ["a"])
    build_corpus([one, two], tmp_path)
    stats = corpus_stats([one, two], tmp_path)
    captions = [json.loads(line)["caption"] for name in ("one", "two") for line in (tmp_path / f"{name}.rows.jsonl").read_text().splitlines()]
    assert len(captions) == 3 and stats["one"]["distinct_captions"] == 1 and stats["two"]["distinct_captions"] == 1
    assert stats["total"]["distinct_captions"] == len(set(captions)) == 1 and stats["total"]["clips"] == 3


def test_a_datasets_folder_or_a_corpus_of_no_clips_is_refused_and_left_as_it_was(tmp_path):
    from synthio.errors import SynthioError

    dataset = tmp_path / "dataset"
    dataset.mkdir()
    (dataset / "metadata.csv").write_text("file_name,label\na.wav,dog\n")
    with pytest.raises(SynthioError, match="metadata.csv that `synthio corpus build` did not write"):
        build_corpus([Fake()], dataset)
    assert (dataset / "metadata.csv").read_text() == "file_name,label\na.wav,dog\n" and sorted(p.name for p in dataset.iterdir()) == ["metadata.csv"]
    with pytest.raises(SynthioError, match="no clips: none of the sources missing could be built"):
        build_corpus([Missing()], tmp_path / "empty")
    assert not (tmp_path / "empty" / "metadata.csv").exists()
    (tmp_path / "empty" / "metadata.csv").write_text("file_name,label,caption,source\n")
    with pytest.raises(SynthioError, match="holds no usable clip.*synthio corpus build"):
        load_corpus(tmp_path / "empty", 16000, 1.0)
