"""StableAudioT2A against a tiny random StableAudioPipeline built here (no download)."""

import numpy as np
import pytest
import torch

from synthio.t2a.base import TextToAudio, expand_per_prompt
from synthio.t2a.lora import load_lora, save_lora
from synthio.t2a.stable_audio import StableAudioT2A
from tests.tiny_models import tiny_stable_audio_pipeline

pytestmark = pytest.mark.filterwarnings("ignore")
PROMPTS = ["sound of a dog", "car horn in the street", "rain"]


@pytest.fixture
def model():
    return StableAudioT2A(tiny_stable_audio_pipeline())


def sample_one(model, prompt, seconds, seed):
    return model.sample([prompt], [seconds], steps=3, guidance=3.0, seeds=[seed])[0]


def test_batched_outputs_follow_their_prompt_seed_and_duration(model):
    assert isinstance(model, TextToAudio)
    seconds = [0.2, 0.1, 0.2]
    batch = model.sample(PROMPTS, seconds, steps=3, guidance=3.0, seeds=[1, 2, 3])
    assert [len(w) for w in batch] == [200, 100, 200]
    for i, prompt in enumerate(PROMPTS):
        np.testing.assert_allclose(batch[i], sample_one(model, prompt, seconds[i], i + 1), atol=1e-5)
    assert not np.allclose(batch[0], batch[2])


def test_several_waveforms_per_prompt_stay_with_their_prompt(model):
    prompts, seconds, seeds = expand_per_prompt(PROMPTS[:2], [0.2, 0.2], [4, 7], 2)
    batch = model.sample(prompts, seconds, steps=3, guidance=3.0, seeds=seeds)
    for k, (prompt, seed) in enumerate(zip(prompts, seeds)):
        np.testing.assert_allclose(batch[k], sample_one(model, prompt, 0.2, seed), atol=1e-5)
    assert not np.allclose(batch[0], batch[1])


def test_same_seed_same_audio(model):
    a, b = sample_one(model, "rain", 0.15, 11), sample_one(model, "rain", 0.15, 11)
    np.testing.assert_array_equal(a, b)


def test_diffusion_loss_is_per_sample(model):
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(200).astype(np.float32) * 0.1, rng.standard_normal(120).astype(np.float32) * 0.1]
    encoded = model.encode(waves, 1000)
    assert encoded.latents.shape == (2, 4, 32) and encoded.seconds == [0.2, 0.12]
    noise = torch.randn(encoded.latents.shape, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([0.25, 0.8])
    both = model.diffusion_loss(encoded, PROMPTS[:2], t, noise)
    assert both.shape == (2,) and (both > 0).all()
    alone = model.diffusion_loss(encoded.select([1]), PROMPTS[1:2], t[1:], noise[1:])
    assert torch.allclose(both[1:], alone, atol=1e-6)
    with pytest.raises(ValueError, match="do not match"):
        model.diffusion_loss(encoded, PROMPTS[:1], t, noise)
    with pytest.raises(ValueError, match="exceeds the model window"):
        model.encode([np.zeros(5000, np.float32)], 1000)


def test_lora_reference_is_the_untouched_base_and_only_lora_trains(model, tmp_path):
    encoded = model.encode([np.sin(np.arange(200) / 3).astype(np.float32)], 1000)
    noise, t = torch.randn(encoded.latents.shape, generator=torch.Generator().manual_seed(1)), torch.tensor([0.5])
    base = model.diffusion_loss(encoded, ["rain"], t, noise)
    params = model.add_lora(rank=2)
    assert torch.equal(model.diffusion_loss(encoded, ["rain"], t, noise).detach(), base)
    with torch.no_grad():
        for p in params:
            p.add_(0.05)
    policy = model.diffusion_loss(encoded, ["rain"], t, noise)
    with model.reference():
        reference = model.diffusion_loss(encoded, ["rain"], t, noise)
    assert torch.equal(reference.detach(), base) and not torch.equal(policy.detach(), base)
    policy.sum().backward()
    trained = {n for n, p in model.pipeline.transformer.named_parameters() if p.grad is not None}
    assert trained and all("lora_" in n for n in trained)

    path = save_lora(model.pipeline.transformer, tmp_path / "adapter.safetensors")
    other = StableAudioT2A(tiny_stable_audio_pipeline())
    other.add_lora(rank=2)
    load_lora(other.pipeline.transformer, path)
    assert torch.equal(other.diffusion_loss(encoded, ["rain"], t, noise).detach(), policy.detach())


def test_loads_from_a_local_folder_only(tmp_path):
    tiny_stable_audio_pipeline().save_pretrained(tmp_path / "sao")
    model = StableAudioT2A.from_pretrained(tmp_path / "sao")
    assert model.sample_rate == 1000 and model.max_seconds == pytest.approx(0.256)
    with pytest.raises(FileNotFoundError, match="model_index.json"):
        StableAudioT2A.from_pretrained(tmp_path)
