import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner

import synthio.pipeline as augment
from synthio.backends import ClapSpec, load_clap
from synthio.cli import app
from synthio.listening import number, write_report
from tests import augment_child
from tests.conftest import make_folder

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny finished augment output (patched tiny T2A and scripted LLM, no alignment, one reflection round) and the tiny CLAP."""
    root = tmp_path_factory.mktemp("listening")
    data = make_folder(root / "data", {"low": 6, "high": 6}, seconds=0.4)
    with pytest.MonkeyPatch.context() as monkeypatch:
        augment_child.patch(monkeypatch)
        config = augment_child.config(data, root / "out").model_copy(update={"align": "none", "reflection_rounds": 1, "factor": 2, "threshold": 0.5})
        augment.augment_dataset(config)
    return data, root / "out", load_clap(ClapSpec())


class Links(HTMLParser):
    """Every src/href, every <audio> src and every <input> of a page."""

    def __init__(self):
        super().__init__()
        self.links, self.audio, self.inputs, self.ids = [], [], [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [attrs[key] for key in ("src", "href") if attrs.get(key)]
        if tag == "audio":
            self.audio.append(attrs["src"])
        if tag == "input":
            self.inputs.append(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])


def parse(index: Path) -> Links:
    links = Links()
    links.feed(index.read_text(encoding="utf-8"))
    return links


def test_report_page_plays_every_clip_and_shows_the_checks(run):
    data, out, clap = run
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    metadata, before = (out / "metadata.csv").read_text(), {p.name for p in out.iterdir()}
    index = write_report(out, clap=clap)
    assert index == out / "report" / "index.html" and index.is_file()
    report = (out / "report").resolve()
    page = parse(index)
    for link in page.links:
        if link.startswith("#"):
            assert link[1:] in page.ids, link
            continue
        target = (report / link).resolve()
        assert target.is_relative_to(report) and target.is_file(), link
    real = {row["parent_file"] for row in manifest}
    assert len(page.audio) >= len(manifest) + len(real) and set(page.audio) >= {f"assets/syn-{row['id']}.ogg" for row in manifest}
    for source in set(page.audio):
        samples, rate = sf.read(str(report / source))
        assert rate == 16000 and samples.ndim == 1 and len(samples) > 0
    assert sorted(box["data-table"] for box in page.inputs if box.get("class") == "filter") == ["table-0", "table-1"]

    checks = json.loads((out / "quality.json").read_text())
    assert {"memorisation", "diversity", "fidelity"} <= set(checks)
    assert len(checks["memorisation"]["clips"]) == len(manifest) and checks["memorisation"]["flagged"] == 0
    html = index.read_text(encoding="utf-8")
    for label in ("low", "high", "all classes"):
        assert number(checks["diversity"]["per_class"][label]["real"]["vendi"], 2) in html
        fidelity = checks["fidelity"]["per_class"][label]
        assert f"{number(fidelity['round_0']['kad'])} → {number(fidelity['kept']['kad'])}" in html
        assert f"{number(fidelity['round_0']['fd'])} → {number(fidelity['kept']['fd'])}" in html
    assert f"0 of {len(manifest)} generated clips flagged" in html
    assert (out / "metadata.csv").read_text() == metadata and {p.name for p in out.iterdir()} == before | {"quality.json", "report"}


def test_rerun_replaces_the_report_flags_a_planted_copy_and_escapes_text(run, tmp_path):
    data, original, clap = run
    out = tmp_path / "out"
    shutil.copytree(original, out)
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    planted = rows[1]
    shutil.copyfile(data / planted["parent_file"], out / "work" / planted["file"])  # the synthetic clip is now its real parent
    rows[0]["caption"] = 'a <script>alert("x")</script> & co'
    (out / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    (out / "report").mkdir(exist_ok=True)
    (out / "report" / "stale.txt").write_text("from an older report")

    index = write_report(out, corpus=data, clap=clap)
    assert not (out / "report" / "stale.txt").exists() and not (out / ".report.tmp").exists()
    checks = json.loads((out / "quality.json").read_text())["memorisation"]
    flagged = [clip for clip in checks["clips"] if clip["flagged"]]
    assert [clip["id"] for clip in flagged] == [planted["id"]]
    assert flagged[0]["real"]["flagged"]["file"] == planted["parent_file"] and flagged[0]["corpus"]["flagged"]["file"] == planted["parent_file"]
    assert flagged[0]["real"]["flagged"]["mel_correlation"] == pytest.approx(1.0, abs=1e-4)
    assert checks["references"]["corpus"] == 12
    html = index.read_text(encoding="utf-8")
    assert f'data-status="{"kept" if planted["kept"] else "rejected"} flagged"' in html
    assert "<script>alert" not in html and "a &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    page = parse(index)
    for link in page.links:
        assert link.startswith("#") or (out / "report" / link).is_file(), link


def test_cli_report_errors_are_clean(run, tmp_path):
    data, original, _ = run
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a finished `synthio augment` output" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["report", str(original), "--data", str(tmp_path)])
    assert result.exit_code == 2 and "are not under" in " ".join(result.output.split()) and "--data" in result.output
    (tmp_path / "evaluated").mkdir()
    (tmp_path / "evaluated" / "results.json").write_text("{}")
    for folder, message in ((data, "is a dataset, not a `synthio augment` output"), (tmp_path / "nowhere", "does not exist"), (tmp_path / "evaluated", "is a `synthio evaluate` output")):
        result = CliRunner().invoke(app, ["report", str(folder)])
        assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
