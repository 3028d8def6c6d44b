"""scripts/merge_results.py: seeds run apart and merged give the summary of one run over all of them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthio.errors import SynthioError
from synthio.evaluation import evaluate
from tests.conftest import load_script
from tests.test_evaluation import config

SCRIPT = Path(__file__).parents[1] / "scripts" / "merge_results.py"


def without_seconds(results):
    return [{k: v for k, v in run.items() if k != "seconds"} for run in results["runs"]]


def test_seeds_run_apart_merge_into_the_run_over_all_seeds(folder, tmp_path):
    whole = evaluate(config(folder, tmp_path / "whole", methods=["gold", "noise"], seeds=[0, 1]))
    evaluate(config(folder, tmp_path / "a", methods=["gold", "noise"], seeds=[1]))
    evaluate(config(folder, tmp_path / "b", methods=["gold", "noise"], seeds=[0]))
    subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "merged"), str(tmp_path / "a/results.json"), str(tmp_path / "b/results.json")], check=True, capture_output=True)
    merged = json.loads((tmp_path / "merged/results.json").read_text())
    assert without_seconds(merged) == without_seconds(whole) and merged["config"]["seeds"] == [0, 1]
    table = lambda path: path.read_text().split("## Accuracy (%)")[1]  # noqa: E731  (the header line names the seconds spent)
    assert table(tmp_path / "merged/summary.md") == table(tmp_path / "whole/summary.md")
    assert (tmp_path / "merged/report/index.html").is_file()
    module = load_script("merge_results")
    a, b = (json.loads((tmp_path / f"{part}/results.json").read_text()) for part in "ab")
    with pytest.raises(SynthioError, match="more than one input"):
        module.merge_results([a, a])
    redone = {**a, "runs": [{**a["runs"][0], "accuracy": -1.0}]}
    merged, replaced = module.merge_results([a, b, redone], replace=True)
    assert replaced == [(a["runs"][0]["method"], a["runs"][0]["n"], 1)] and len(merged["runs"]) == 4
    assert [r["accuracy"] for r in merged["runs"] if (r["method"], r["seed"]) == (a["runs"][0]["method"], 1)] == [-1.0]
    other = json.loads((tmp_path / "a/results.json").read_text()) | {"fingerprint": "x"}
    with pytest.raises(SynthioError, match="different settings"):
        module.merge_results([other, json.loads((tmp_path / "b/results.json").read_text())])
