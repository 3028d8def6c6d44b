"""Sampler and steps settings of the real backends, and batching: one text encoding per call, one denoiser forward per step for the whole batch."""

import numpy as np
import pytest
import torch

from synthio.backends import T2ASpec, load_t2a
from synthio.config import ConfigError
from synthio.t2a.audioldm2 import AudioLDM2T2A
from synthio.t2a.stable_audio import StableAudioT2A
from tests.t2a import contract
from tests.tiny_models import tiny_audioldm2_pipeline, tiny_stable_audio_pipeline

pytestmark = pytest.mark.filterwarnings("ignore")


def counter(module: torch.nn.Module) -> list[int]:
    calls = [0]
    module.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


def test_stable_audio_batches_prompts_of_one_duration_into_one_text_encoding_and_one_forward_per_step():
    model = StableAudioT2A(tiny_stable_audio_pipeline(), steps=5)
    text, dit = counter(model.pipeline.text_encoder), counter(model.network)
    model.sample(["rain", "sound of a dog", "car horn", "rain"], [0.2, 0.2, 0.1, 0.2], steps=50, guidance=3.0, seeds=[0, 1, 2, 3])
    assert text[0] == 2, "one text encoding per duration group, not per prompt"
    assert dit[0] == 2 * 5, "the backend's 5 steps, not the caller's 50, each one forward over its whole group"


def test_stable_audio_samplers_keep_prompt_seed_and_duration_per_item():
    default = StableAudioT2A(tiny_stable_audio_pipeline())
    own = StableAudioT2A(tiny_stable_audio_pipeline(), sampler="dpmpp-2m-sde")
    np.testing.assert_array_equal(contract.sample_one(default, "rain", 0.2, 3), contract.sample_one(own, "rain", 0.2, 3))
    karras = StableAudioT2A(tiny_stable_audio_pipeline(), sampler="dpmpp-2m-sde-karras", steps=3)
    assert karras.pipeline.scheduler.config.sigma_schedule == "karras" and karras.pipeline.scheduler.config.sigma_max == default.pipeline.scheduler.config.sigma_max
    assert not np.allclose(contract.sample_one(karras, "rain", 0.2, 3), contract.sample_one(default, "rain", 0.2, 3))
    contract.batched_outputs_follow_their_prompt(karras, 0.2, 0.1)
    with pytest.raises(ConfigError, match="dpmpp-2m-sde-karras"):
        StableAudioT2A(tiny_stable_audio_pipeline(), sampler="ddim")


def test_audioldm2_dpm_solver_keeps_the_schedule_and_the_training_loss():
    default = AudioLDM2T2A(tiny_audioldm2_pipeline())
    fast = AudioLDM2T2A(tiny_audioldm2_pipeline(), sampler="dpmpp-2m", steps=3)
    assert type(fast.pipeline.scheduler).__name__ == "DPMSolverMultistepScheduler"
    assert torch.equal(fast.pipeline.scheduler.alphas_cumprod, default.pipeline.scheduler.alphas_cumprod)
    wave = np.sin(np.arange(1600) / 3).astype(np.float32)
    noise, t = torch.randn((1, 4, 200, 4), generator=torch.Generator().manual_seed(0)), torch.tensor([0.4])
    assert torch.equal(fast.diffusion_loss(fast.encode([wave], 16000), ["rain"], t, noise), default.diffusion_loss(default.encode([wave], 16000), ["rain"], t, noise))
    unet = counter(fast.network)
    contract.batched_outputs_follow_their_prompt(fast, 0.1, 0.08)
    assert unet[0] == 3 * (2 + 3), "3 steps per call: the batch (2 durations) and its 3 single-prompt checks"


def test_load_t2a_passes_sampler_and_steps_and_the_settings_refuse_steps_for_the_embedded_model_and_another_backends_sampler(tmp_path):
    from pydantic import ValidationError

    tiny_stable_audio_pipeline().save_pretrained(tmp_path / "sao")
    model = load_t2a(T2ASpec(backend="stable-audio", path=tmp_path / "sao", device="cpu", sampler="dpmpp-1-sde", steps=7))
    assert (model.sampler, model.steps, model.pipeline.scheduler.config.solver_order) == ("dpmpp-1-sde", 7, 1)
    with pytest.raises(ValidationError, match="embedded T2A takes sample_steps"):
        T2ASpec(steps=7)
    with pytest.raises(ValidationError, match="'dpmpp-2m' is not one of stable-audio's: dpmpp-2m-sde, dpmpp-2m-sde-karras, dpmpp-1-sde"):
        T2ASpec(backend="stable-audio", sampler="dpmpp-2m")
    with pytest.raises(ValidationError, match="'dpmpp-1-sde' is not one of embedded's: ddim, dpmpp-2m, unipc"):
        T2ASpec(sampler="dpmpp-1-sde")
    assert load_t2a(T2ASpec(sampler="dpmpp-2m", device="cpu")).sampler == "dpmpp-2m" and load_t2a(T2ASpec(device="cpu")).sampler == "ddim"
