"""scripts/bench_real_models.py at its tiny scale: the JSON's structure and what is deterministic in it (parameter counts, the reference is no copy)."""

import json

import pytest

from tests.conftest import load_script

pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.slow]


def test_full_scale_is_the_published_stable_audio_open():
    bench = load_script("bench_real_models")
    sizes = bench.model_sizes(bench.FULL)["stable_audio"]
    assert round(sizes["dit"] / 1e9, 2) == 1.06 and round(sizes["oobleck_vae"] / 1e6) == 156 and round(sizes["t5"] / 1e6) == 110
    assert sizes["window_seconds"] == pytest.approx(47.55, abs=0.01)


def test_tiny_run_writes_every_figure_and_the_lean_step_holds_no_copy(tmp_path):
    bench = load_script("bench_real_models")
    bench.main(["--scale", "tiny", "--device", "cpu", "--out", str(tmp_path / "bench.json")])
    result = json.loads((tmp_path / "bench.json").read_text())
    assert result["scale"] == "tiny" and set(result) >= {"device", "parameters", "dpo", "generation", "encoders", "seconds"}
    dpo = result["dpo"]
    lean, release = dpo["lean"], dpo["release_style"]
    dit = result["parameters"]["stable_audio"]["dit"]
    assert release["parameters_held"] == 2 * dit and release["trainable_parameters"] == dit and release["reference"] == "deep copy of the DiT"
    assert lean["parameters_held"] == dit + lean["trainable_parameters"] and lean["trainable_parameters"] < dit / 4 and lean["gradient_checkpointing"]
    assert dpo["ratio_parameters_held"] == pytest.approx(lean["parameters_held"] / release["parameters_held"])
    assert all(setup["seconds_per_step"] > 0 and setup["peak_memory_mib"] >= 0 for setup in (lean, release))
    assert dpo["largest_batch"].startswith("n/a")
    assert [g["model"] for g in result["generation"]] == ["stable-audio", "audioldm2"]
    for g in result["generation"]:
        for duration in ("4s", "10s"):
            row = g[duration]
            assert set(row["batched_clips_per_second"]) == {"8"} and row["one_clip_per_call_clips_per_second"] > 0
            assert row["speedup"] == pytest.approx(max(row["batched_clips_per_second"].values()) / row["one_clip_per_call_clips_per_second"])
    assert {"clap_audio", "ast"} <= set(result["encoders"]) and result["encoders"]["ast"]["clips_per_second"] > 0
