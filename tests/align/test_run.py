import json
import math

import numpy as np
import pytest

from synthio.align.dpo import AlignTrainConfig
from synthio.align.run import AlignConfig, align_dataset
from tests.align.helpers import small_t2a
from tests.conftest import make_folder

pytestmark = pytest.mark.filterwarnings("ignore")


def test_align_writes_adapter_and_summary_and_a_rerun_reuses_it(tmp_path, monkeypatch):
    data = make_folder(tmp_path / "data", {"low": 6, "high": 6}, seconds=0.4)
    model = small_t2a()
    monkeypatch.setattr("synthio.align.run.load_t2a", lambda spec: model)
    config = AlignConfig(data_dir=data, out=tmp_path / "out", n=6, losers_per_clip=2, sample_steps=2, train=AlignTrainConfig(steps=3, batch_size=4))
    summary = align_dataset(config)
    assert summary["initial_loss"] == pytest.approx(math.log(2), abs=1e-4)
    assert summary["clips"] == 6 and summary["pairs"] == 12 and summary["steps"] == 3
    assert summary["fd_before"] > 0 and summary["fd_after"] > 0 and 0 <= summary["implicit_accuracy"] <= 1
    assert (tmp_path / "out/adapter.safetensors").is_file() and len(list((tmp_path / "out/samples/after").glob("*.wav"))) == 6
    written = json.loads((tmp_path / "out/align.json").read_text())
    assert written["fd_after"] == summary["fd_after"]
    assert written["peak_memory_mib"] > 0 and written["seconds_per_step"] > 0 and written["processes"] == 1
    assert (written["gradient_checkpointing"], written["mixed_precision"], written["optimizer"]) == (False, "no", "adamw")
    monkeypatch.setattr("synthio.align.run.load_t2a", lambda spec: pytest.fail("a finished alignment must not reload the model"))
    assert align_dataset(config) == summary


@pytest.mark.slow
def test_align_under_two_processes_writes_once_and_matches_one_process(tmp_path):
    """What ``accelerate launch`` starts (torchrun, one process per GPU), on CPU: the main process claims, generates and writes; both train."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.tiny_models import save_tiny_clap, tiny_stable_audio_pipeline

    root = Path(__file__).parents[2]
    data = make_folder(tmp_path / "data", {"low": 2, "high": 2}, seconds=0.2)
    tiny_stable_audio_pipeline().save_pretrained(tmp_path / "sao")
    save_tiny_clap(tmp_path / "clap")
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}
    summaries = []
    for processes in (1, 2):
        config = tmp_path / f"align{processes}.yaml"
        config.write_text(
            f"data_dir: {data}\nwhere: [split=train]\nn: 4\nout: {tmp_path / f'out{processes}'}\nlosers_per_clip: 1\nsample_steps: 2\ntrain: {{steps: 2, batch_size: 4, beta: 1.0}}\n"
            f"t2a: {{backend: stable-audio, path: {tmp_path / 'sao'}, device: cpu}}\nclap: {{backend: transformers, path: {tmp_path / 'clap'}, device: cpu}}\n"
        )
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes), "--master_port", str(29600 + processes), "-m", "synthio.cli", "align", "--config", str(config)]
        result = subprocess.run(command, cwd=root, env=env, timeout=300, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-3000:]
        summaries.append(json.loads((tmp_path / f"out{processes}/align.json").read_text()))
    assert [s["processes"] for s in summaries] == [1, 2]
    assert summaries[1]["final_loss"] == pytest.approx(summaries[0]["final_loss"], rel=1e-5)
    assert len((tmp_path / "out2/pairs.jsonl").read_text().splitlines()) == 4


def test_align_with_validation_holds_clips_out_and_keeps_the_best_step(tmp_path, monkeypatch):
    from synthio.align.run import VALIDATION_SEED, generate_for_fd, hold_out
    from synthio.audio import read_audio
    from synthio.errors import SynthioError

    data = make_folder(tmp_path / "data", {"low": 4, "high": 4}, seconds=0.4)
    model = small_t2a()
    monkeypatch.setattr("synthio.align.run.load_t2a", lambda spec: model)
    config = AlignConfig(data_dir=data, out=tmp_path / "out", n=8, losers_per_clip=1, sample_steps=2, validation_clips=4, validate_every=2, train=AlignTrainConfig(steps=5, batch_size=4, learning_rate=1e-2))
    summary = align_dataset(config)
    held = summary["validation_clips"]
    winners = {json.loads(line)["winner"] for line in (tmp_path / "out/pairs.jsonl").read_text().splitlines()}
    assert len(held) == 4 and summary["clips"] == 4 and summary["pairs"] == 4 and not winners & set(held)
    assert sorted(name.split("/")[1].split("_")[0] for name in held) == ["high", "high", "low", "low"]
    curve = summary["validation"]["curve"]
    assert [step for step, _ in curve] == [0, 2, 4, 5] and all(fd > 0 for _, fd in curve)
    best = min(curve, key=lambda point: point[1])
    assert (summary["validation"]["best_step"], summary["validation"]["best_fd"]) == tuple(best)
    assert json.loads((tmp_path / "out/align.json").read_text())["validation"] == summary["validation"]
    again = generate_for_fd(model, [c for c in config.load(model.sample_rate) if c.file_name in held], tmp_path / "again", 2, config.guidance, first_seed=VALIDATION_SEED)
    kept = [read_audio(p, model.sample_rate) for p in sorted((tmp_path / f"out/samples/validation/{best[0]:06d}").glob("*.wav"))]
    assert len(kept) == 4 and all(np.array_equal(a, b) for a, b in zip(again, kept))
    clips = config.load(model.sample_rate)
    names = lambda part: [c.file_name for c in part]  # noqa: E731
    assert names(hold_out(clips, 4, 0)[1]) == held and names(hold_out(clips, 4, 1)[1]) != held and hold_out(clips, 0, 0) == (clips, [])
    with pytest.raises(SynthioError, match="leaves a class without winners"):
        hold_out(clips, 7, 0)
