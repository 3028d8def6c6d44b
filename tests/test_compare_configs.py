"""scripts/compare_configs.py: one method paired across two augment configurations, refusing runs that differ in anything else."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthio.errors import SynthioError
from tests.conftest import load_script

SCRIPT = Path(__file__).parents[1] / "scripts" / "compare_configs.py"
LABELS = [0, 1, 0, 1]


def write_results(path: Path, predictions_by_seed: dict[int, list[int]], augment_config: str | None, steps: int = 300, schedule: str = "mix") -> Path:
    runs = [{"method": "synthio", "n": 50, "seed": seed, "accuracy": sum(p == y for p, y in zip(predictions, LABELS)) / len(LABELS), "predictions": predictions} for seed, predictions in predictions_by_seed.items()]
    runs.append({"method": "gold", "n": 50, "seed": 0, "accuracy": 0.0, "predictions": [1, 0, 1, 0]})
    config = {"data_dir": "data", "out": str(path.parent), "n": [50], "methods": ["gold", "synthio"], "seeds": sorted(predictions_by_seed), "augment_config": augment_config, "steps": steps, "synthetic_schedule": schedule}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"config": config, "data": {"test_labels": LABELS}, "runs": runs}))
    return path


def test_only_shared_seeds_are_paired_and_the_difference_is_b_minus_a(tmp_path):
    a = write_results(tmp_path / "a/results.json", {0: [0, 1, 1, 0], 1: [0, 0, 0, 0]}, None)
    b0 = write_results(tmp_path / "b0/results.json", {0: [0, 1, 0, 1]}, "beta200.yaml")
    b2 = write_results(tmp_path / "b2/results.json", {2: [0, 1, 0, 1]}, "beta200.yaml")
    table = load_script("compare_configs").compare([a], [b0, b2], "synthio", 50)
    assert table.splitlines()[2:] == ["| 0 | 50.00 | 100.00 | +50.00 |", "| mean | 50.00 | 100.00 | +50.00 [+0.00, +100.00] |"]


def test_sides_that_differ_in_more_than_the_augment_config_are_refused(tmp_path):
    a = write_results(tmp_path / "a/results.json", {0: [0, 1, 1, 0]}, None)
    b = write_results(tmp_path / "b/results.json", {0: [0, 1, 0, 1]}, "beta200.yaml", steps=600)
    with pytest.raises(SynthioError, match=r"more than augment_config: \['steps'\]"):
        load_script("compare_configs").compare([a], [b], "synthio", 50)
    done = subprocess.run([sys.executable, str(SCRIPT), "--a", str(a), "--b", str(b)], capture_output=True, text=True)
    assert done.returncode == 2 and "error: the two sides differ" in done.stderr and "Traceback" not in done.stderr


def test_no_shared_seed_names_the_seeds_of_each_side(tmp_path):
    a = write_results(tmp_path / "a/results.json", {0: [0, 1, 1, 0]}, None)
    b = write_results(tmp_path / "b/results.json", {3: [0, 1, 0, 1]}, "beta200.yaml")
    with pytest.raises(SynthioError, match=r"A: \[0\], B: \[3\]"):
        load_script("compare_configs").compare([a], [b], "synthio", 50)


def test_baseline_rows_pair_each_side_with_the_baseline_from_either_side(tmp_path):
    a = write_results(tmp_path / "a/results.json", {0: [0, 1, 1, 0]}, None)
    b = write_results(tmp_path / "b/results.json", {0: [0, 1, 0, 1]}, "beta200.yaml")
    table = load_script("compare_configs").compare([a], [b], "synthio", 50, baseline="gold")
    assert table.splitlines()[-2:] == ["| A | 0.00 | 50.00 | +50.00 [+0.00, +100.00] | 0 |", "| B | 0.00 | 100.00 | +100.00 [+100.00, +100.00] * | 0 |"]


def test_a_baseline_that_differs_between_the_sides_is_refused(tmp_path):
    a = write_results(tmp_path / "a/results.json", {0: [0, 1, 1, 0]}, None)
    b = write_results(tmp_path / "b/results.json", {0: [0, 1, 0, 1]}, "beta200.yaml")
    results = json.loads(b.read_text())
    results["runs"][-1]["predictions"] = [0, 0, 0, 0]
    b.write_text(json.dumps(results))
    with pytest.raises(SynthioError, match="gold n=50 seed 0 ran on both sides with different predictions"):
        load_script("compare_configs").compare([a], [b], "synthio", 50, baseline="gold")


def test_files_of_one_side_must_share_their_augment_config(tmp_path):
    a = write_results(tmp_path / "a/results.json", {0: [0, 1, 1, 0]}, None)
    b0 = write_results(tmp_path / "b0/results.json", {0: [0, 1, 0, 1]}, "beta200.yaml")
    b2 = write_results(tmp_path / "b2/results.json", {2: [0, 1, 0, 1]}, "beta20.yaml")
    with pytest.raises(SynthioError, match=r"differ from the other files of side B: \['augment_config'\]"):
        load_script("compare_configs").compare([a], [b0, b2], "synthio", 50)


def test_vary_synthetic_schedule_pairs_two_schedules_and_only_those(tmp_path):
    a = write_results(tmp_path / "a/results.json", {0: [0, 1, 1, 0]}, None)
    b = write_results(tmp_path / "b/results.json", {0: [0, 1, 0, 1]}, None, schedule="pretrain")
    with pytest.raises(SynthioError, match=r"more than augment_config: \['synthetic_schedule'\]"):
        load_script("compare_configs").compare([a], [b], "synthio", 50)
    table = load_script("compare_configs").compare([a], [b], "synthio", 50, vary=("synthetic_schedule",))
    assert table.splitlines()[2] == "| 0 | 50.00 | 100.00 | +50.00 |"
    with pytest.raises(SynthioError, match=r"cannot vary \['classifier'\]"):
        load_script("compare_configs").compare([a], [b], "synthio", 50, vary=("classifier",))


def test_a_setting_missing_from_an_older_results_file_reads_as_its_default(tmp_path):
    a = write_results(tmp_path / "a/results.json", {0: [0, 1, 1, 0]}, None)
    b = write_results(tmp_path / "b/results.json", {1: [0, 1, 0, 1]}, None)
    for path, gate in ((a, None), (b, "off")):
        results = json.loads(path.read_text())
        if gate:
            results["config"]["synthetic_gate"] = gate
        path.write_text(json.dumps(results))
    c = write_results(tmp_path / "c/results.json", {0: [0, 1, 0, 1]}, None)
    results = json.loads(c.read_text())
    results["config"]["synthetic_gate"] = "validation"
    c.write_text(json.dumps(results))
    table = load_script("compare_configs").compare([a, b], [c], "synthio", 50, vary=("synthetic_gate",))
    assert table.splitlines()[2] == "| 0 | 50.00 | 100.00 | +50.00 |"
