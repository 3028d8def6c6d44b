import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import synthio.augment as augment
from synthio.audio import read_audio
from tests import augment_child
from tests.conftest import make_folder
from tests.fakes import RamblingLLM

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture
def data(tmp_path):
    return make_folder(tmp_path / "data", {"low": 6, "high": 6}, seconds=0.4)


def check_output(out: Path) -> tuple[list[dict], list[dict]]:
    """Every kept row has a readable file, no duplicates, and the manifest agrees with metadata.csv."""
    with open(out / "metadata.csv", newline="") as f:
        kept = list(csv.DictReader(f))
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len({r["file_name"] for r in kept}) == len(kept)
    assert len({r["id"] for r in manifest}) == len(manifest)
    assert sorted(r["file_name"] for r in kept) == sorted(f"audio/{r['id']}.wav" for r in manifest if r["kept"])
    for row in kept:
        assert len(read_audio(out / row["file_name"], 16000)) > 0
    for row in manifest:
        assert (out / "work" / row["file"]).is_file() and row["clap_score"] is not None
    assert sorted(p.name for p in (out / "audio").glob("*.wav")) == sorted(Path(r["file_name"]).name for r in kept)
    return kept, manifest


def test_augment_keeps_filtered_clips_and_reflects_on_rejected_ones(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    out = tmp_path / "out"
    summary = augment.augment_dataset(augment_child.config(data, out))
    kept, manifest = check_output(out)
    assert summary["clips_real"] == 6 and summary["rounds"]["0"]["generated"] == 18
    assert summary["kept"] == len(kept) == sum(r["kept"] for r in manifest)
    for r, counts in summary["rounds"].items():
        assert counts["kept"] + counts["rejected"] == counts["generated"]
        if r != "0":
            assert counts["generated"] == summary["rounds"][str(int(r) - 1)]["rejected"]
    children = [r for r in manifest if r["round"] > 0]
    assert all(r["parent_id"] in {m["id"] for m in manifest} and "quiet room" in r["caption"] for r in children)
    assert all(float(r["clap_score"]) >= 0.5 for r in kept) and {r["label"] for r in kept} <= {"low", "high"}
    assert set(summary["stage_seconds"]) >= {"split", "caption", "align", "captions", "generate", "filter", "write"}
    assert (out / "work/align_dpo/adapter.safetensors").is_file()
    assert summary["llm_failures"] == {"extraction": 0, "writing": 0, "reflection": 0}
    again = augment.augment_dataset(augment_child.config(data, out))
    assert again["generated"] == summary["generated"] and check_output(out) == (kept, manifest)


def test_an_llm_that_never_answers_validly_is_counted_not_fatal(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    monkeypatch.setattr(augment, "load_llm", lambda spec: RamblingLLM())
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"align": "none", "threshold": 1.0})
    summary = augment.augment_dataset(config)
    kept, manifest = check_output(tmp_path / "out")
    assert summary["llm_failures"]["extraction"] == 6 and summary["llm_failures"]["writing"] == 6 * 4
    assert summary["llm_failures"]["reflection"] == sum(r["round"] > 0 for r in manifest) > 0
    assert all(r["caption"].startswith("Sound of a ") for r in manifest)


def test_template_captions_without_filter_keep_everything(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"captions": "template", "align": "none", "filter": False})
    summary = augment.augment_dataset(config)
    kept, _ = check_output(tmp_path / "out")
    assert summary["kept"] == summary["generated"] == 18 and all(r["caption"].startswith("Sound of a ") for r in kept)
    assert summary["models"]["llm"] is None


def test_auto_threshold_is_a_percentile_of_real_own_label_scores(data, tmp_path, monkeypatch):
    augment_child.patch(monkeypatch)
    config = augment_child.config(data, tmp_path / "out").model_copy(update={"threshold": "auto", "threshold_percentile": 50.0, "align": "none", "reflection_rounds": 0})
    summary = augment.augment_dataset(config)
    assert summary["threshold"] == pytest.approx(summary["real_scores"]["own_label"]["q50"], abs=1e-6)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.slow
def test_sigkill_at_any_moment_loses_and_duplicates_nothing(data, tmp_path):
    """Kill at seven moments across the stages (each run resumes the last), then finish and check the output."""
    out = tmp_path / "out"
    work = out / "work"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, str(Path(__file__).with_name("augment_child.py")), str(data), str(out)]
    moments = [
        lambda: (work / "captions.json").exists(),
        lambda: (work / "align_dpo/train/checkpoint.pt").exists(),
        lambda: (work / "align_dpo/samples/after").is_dir(),
        lambda: len(lines(work / "events.jsonl")) >= 4,
        lambda: any('"scored"' in line for line in lines(work / "events.jsonl")),
        lambda: (work / "reflection_1.json").exists(),
        lambda: any('"round": 2' in line for line in lines(work / "events.jsonl")),
    ]
    rng = np.random.default_rng(0)
    kills = 0
    for reached in moments:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while process.poll() is None and not reached() and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(float(rng.uniform(0.0, 0.2)))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    assert kills >= 5
    subprocess.run(command, env=env, check=True, timeout=300, capture_output=True)
    kept, manifest = check_output(out)
    summary = json.loads((out / "run.json").read_text())
    assert summary["generated"] == len(manifest) and summary["kept"] == len(kept)
    assert summary["rounds"]["0"]["generated"] == 18
