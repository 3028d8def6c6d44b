"""Memory-lean alignment on the tiny random real-class Stable Audio: checkpointing, bf16 autocast, 8-bit AdamW, logged peak memory."""

import sys

import numpy as np
import pytest
import torch

from synthio.align.dpo import AlignTrainConfig, set_gradient_checkpointing, train_alignment, uses_bf16
from synthio.align.run import AlignConfig
from synthio.errors import SynthioError
from synthio.t2a.stable_audio import StableAudioT2A
from tests.conftest import make_folder
from tests.tiny_models import tiny_stable_audio_pipeline

pytestmark = pytest.mark.filterwarnings("ignore")


def stable_audio_pairs():
    model = StableAudioT2A(tiny_stable_audio_pipeline())
    rng = np.random.default_rng(0)
    winners = [np.sin(np.arange(200) * (0.1 + 0.05 * i)).astype(np.float32) * 0.5 for i in range(2)]
    losers = [rng.standard_normal(200).astype(np.float32) * 0.1 for _ in range(4)]
    encoded = model.encode(winners + losers, model.sample_rate)
    winner_of = [0, 0, 1, 1]
    return model, encoded.select([0, 1]), encoded.select([2, 3, 4, 5]), winner_of, ["sound of a dog" if i == 0 else "rain" for i in winner_of]


def count_block_calls(model) -> list[int]:
    calls = [0]
    model.network.transformer_blocks[0].norm1.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


def test_gradient_checkpointing_recomputes_and_gives_the_same_losses(tmp_path):
    results, calls = [], []
    for on in (False, True):
        model, *pairs = stable_audio_pairs()
        counter = count_block_calls(model)
        config = AlignTrainConfig(steps=3, batch_size=4, learning_rate=1e-2, gradient_checkpointing=on, checkpoint_every=10)
        results.append(train_alignment(model, *pairs, config, tmp_path / str(on)))
        calls.append(counter[0])
        assert not model.network.gradient_checkpointing
    off, on = results
    assert on["gradient_checkpointing"] and not off["gradient_checkpointing"]
    assert calls[1] - calls[0] == 3 * 2, "each step's two policy forwards are recomputed once in the backward pass"
    assert on["loss_curve"] == pytest.approx(off["loss_curve"], rel=1e-5)
    assert on["final_loss"] == pytest.approx(off["final_loss"], rel=1e-5) and on["final_loss"] != off["initial_loss"]


def test_the_result_logs_peak_memory_and_seconds_per_step(tmp_path):
    model, *pairs = stable_audio_pairs()
    result = train_alignment(model, *pairs, AlignTrainConfig(steps=2, batch_size=4), tmp_path)
    assert result["peak_memory_mib"] > 0 and "resident set" in result["peak_memory_source"]
    assert result["seconds_per_step"] > 0 and result["mixed_precision"] == "no" and result["optimizer"] == "adamw" and result["processes"] == 1
    assert result["lora_parameters"] == sum(p.numel() for n, p in model.network.named_parameters() if "lora_" in n)
    again = train_alignment(StableAudioT2A(tiny_stable_audio_pipeline()), *pairs, AlignTrainConfig(steps=2, batch_size=4), tmp_path)
    assert again["seconds_per_step"] is None and again["loss_curve"] == result["loss_curve"]


def test_bf16_autocast_runs_on_cpu_when_asked(tmp_path):
    assert not uses_bf16(AlignTrainConfig(), torch.device("cpu")) and uses_bf16(AlignTrainConfig(), torch.device("cuda"))
    assert not uses_bf16(AlignTrainConfig(mixed_precision="no"), torch.device("cuda"))
    model, *pairs = stable_audio_pairs()
    seen = []
    model.network.register_forward_hook(lambda module, args, output: seen.append(output[0].dtype))
    result = train_alignment(model, *pairs, AlignTrainConfig(steps=1, batch_size=4, mixed_precision="bf16"), tmp_path)
    assert result["mixed_precision"] == "bf16" and torch.bfloat16 in seen and np.isfinite(result["final_loss"])


def test_eight_bit_adamw_or_a_clear_error(tmp_path, monkeypatch):
    config = AlignTrainConfig(steps=2, batch_size=4, learning_rate=1e-2, optimizer="adamw-8bit")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        pass
    else:
        model, *pairs = stable_audio_pairs()
        result = train_alignment(model, *pairs, config, tmp_path / "bnb")
        assert result["optimizer"] == "adamw-8bit" and result["final_loss"] != result["initial_loss"]
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)
    model, *pairs = stable_audio_pairs()
    with pytest.raises(SynthioError, match="pip install bitsandbytes"):
        train_alignment(model, *pairs, config, tmp_path / "missing")


def test_checkpointing_is_refused_by_a_network_without_it_and_does_not_change_the_output_fingerprint(tmp_path):
    with pytest.raises(SynthioError, match="gradient_checkpointing: false"):
        set_gradient_checkpointing(torch.nn.Linear(2, 2), True)
    set_gradient_checkpointing(torch.nn.Linear(2, 2), False)
    data = make_folder(tmp_path / "data", {"a": 2}, seconds=0.2)
    plain = AlignConfig(data_dir=data, out=tmp_path / "out", n=2)
    lean = AlignConfig(data_dir=data, out=tmp_path / "out", n=2, train=AlignTrainConfig(gradient_checkpointing=True))
    assert plain.output_settings() == lean.output_settings()
    assert plain.output_settings() != AlignConfig(data_dir=data, out=tmp_path / "out", n=2, train=AlignTrainConfig(mixed_precision="bf16")).output_settings()
