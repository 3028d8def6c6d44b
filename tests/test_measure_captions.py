"""scripts/measure_captions.py --runs: the captions an augment run really generated from, graded."""

import json
from pathlib import Path

import pytest

from synthio.errors import SynthioError
from tests.conftest import load_script


def write_manifest(run: Path, rows: list[tuple[str, str, int]]) -> Path:
    run.mkdir(parents=True)
    (run / "manifest.jsonl").write_text("".join(json.dumps({"id": str(i), "label": label, "caption": caption, "round": round_}) + "\n" for i, (label, caption, round_) in enumerate(rows)))
    return run


def test_run_captions_counts_fallbacks_label_forms_and_rewrites(tmp_path):
    run = write_manifest(
        tmp_path / "run",
        [
            ("air_conditioner", "Sound of a air_conditioner", 0),
            ("air_conditioner", "an air conditioner hums in a quiet office", 0),
            ("dog_bark", "dogs barking far away at night", 0),
            ("dog_bark", "a dog bark echoes in the street", 1),
        ],
    )
    report = load_script("measure_captions").run_captions(run)
    assert report["captions"] == 4
    assert report["valid"] == 1.0
    assert report["names_label"] == 0.75
    assert report["template_fallback"] == 0.25
    assert report["distinct_captions"] == 4
    assert report["reflection_rewrites"] == 1


def test_run_captions_names_the_missing_manifest(tmp_path):
    with pytest.raises(SynthioError, match="manifest.jsonl not found"):
        load_script("measure_captions").run_captions(tmp_path)
