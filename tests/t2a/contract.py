"""Checks every ``TextToAudio`` backend must pass; each backend's test file runs them on its tiny model."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from synthio.t2a.base import TextToAudio, expand_per_prompt
from synthio.t2a.lora import load_lora, save_lora

PROMPTS = ["sound of a dog", "car horn in the street", "rain"]
STEPS, GUIDANCE = 2, 3.0


def sample_one(model, prompt: str, seconds: float, seed: int) -> np.ndarray:
    return model.sample([prompt], [seconds], steps=STEPS, guidance=GUIDANCE, seeds=[seed])[0]


def batched_outputs_follow_their_prompt(model, long: float, short: float) -> None:
    """Item i of a batch equals prompt i sampled alone with seed i, durations mixed in one call."""
    assert isinstance(model, TextToAudio)
    seconds = [long, short, long]
    batch = model.sample(PROMPTS, seconds, steps=STEPS, guidance=GUIDANCE, seeds=[1, 2, 3])
    assert [len(w) for w in batch] == [round(s * model.sample_rate) for s in seconds]
    for i, prompt in enumerate(PROMPTS):
        np.testing.assert_allclose(batch[i], sample_one(model, prompt, seconds[i], i + 1), atol=1e-5)
    assert not np.allclose(batch[0], batch[2])


def several_per_prompt_stay_with_their_prompt(model, seconds: float) -> None:
    prompts, durations, seeds = expand_per_prompt(PROMPTS[:2], [seconds, seconds], [4, 7], 2)
    batch = model.sample(prompts, durations, steps=STEPS, guidance=GUIDANCE, seeds=seeds)
    for k, (prompt, seed) in enumerate(zip(prompts, seeds)):
        np.testing.assert_allclose(batch[k], sample_one(model, prompt, seconds, seed), atol=1e-5)
    assert not np.allclose(batch[0], batch[1])


def same_seed_same_audio(model, seconds: float) -> None:
    np.testing.assert_array_equal(sample_one(model, "rain", seconds, 11), sample_one(model, "rain", seconds, 11))


def diffusion_loss_is_per_sample(model, waveforms: list[np.ndarray]) -> None:
    encoded = model.encode(waveforms, model.sample_rate)
    assert len(encoded) == len(waveforms) and encoded.latents.shape[0] == len(waveforms)
    noise = torch.randn(encoded.latents.shape, generator=torch.Generator().manual_seed(0))
    t = torch.linspace(0.2, 0.8, len(waveforms))
    prompts = PROMPTS[: len(waveforms)]
    both = model.diffusion_loss(encoded, prompts, t, noise)
    assert both.shape == (len(waveforms),) and bool((both > 0).all())
    alone = model.diffusion_loss(encoded.select([1]), prompts[1:2], t[1:2], noise[1:2])
    assert torch.allclose(both[1:2], alone, atol=1e-5)


def network(model) -> torch.nn.Module:
    """The denoising network a backend puts LoRA on."""
    return model.network


def lora_reference_is_the_untouched_base(model, waveform: np.ndarray, make_model: Callable, tmp_path) -> None:
    """LoRA starts as a no-op; the reference context gives bit-identical base losses; only LoRA gets gradients; LoRA saves and loads."""
    encoded = model.encode([waveform], model.sample_rate)
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
    trained = {n for n, p in network(model).named_parameters() if p.grad is not None}
    assert trained and all("lora_" in n for n in trained)
    path = save_lora(network(model), tmp_path / "adapter.safetensors")
    other = make_model()
    other.add_lora(rank=2)
    load_lora(network(other), path)
    assert torch.equal(other.diffusion_loss(other.encode([waveform], model.sample_rate), ["rain"], t, noise).detach(), policy.detach())


def log_mel_distance(a: np.ndarray, b: np.ndarray, sample_rate: int) -> float:
    """Mean absolute difference of two clips' log-power mels (32 bands, 25 % hop of a 64 ms window)."""
    from synthio.audio import mel_filterbank

    n_fft = max(64, 1 << (int(0.064 * sample_rate) - 1).bit_length())
    filters = torch.from_numpy(mel_filterbank(sample_rate, n_fft, 32))

    def mel(x: np.ndarray) -> torch.Tensor:
        spec = torch.stft(torch.from_numpy(np.pad(x, (0, max(0, n_fft - len(x))))), n_fft, n_fft // 4, window=torch.hann_window(n_fft), return_complex=True)
        return torch.log(filters @ spec.abs().square() + 1e-4)

    return float((mel(a) - mel(b)).abs().mean())


def variations_start_from_the_init_clip(model, seconds: float, steps: int = 10, decoder: torch.nn.Module | None = None, clean_latents: Callable | None = None) -> None:
    """Strength 1 is plain sampling bit for bit; strength 0.1 lands far closer to the init clip than strength 1; bad strengths and lengths raise.

    Closeness is the log-mel distance of output and init clip, or, for a backend whose decoder has
    random weights in the test, the distance of the latents going into ``decoder`` to ``clean_latents(clips)``.
    """
    n = round(seconds * model.sample_rate)
    rng = np.random.default_rng(0)
    brown = np.cumsum(rng.standard_normal(n))
    init = [(0.3 * rng.standard_normal(n) * np.exp(-3 * np.arange(n) / n)).astype(np.float32), (0.5 * (brown - brown.mean()) / np.abs(brown - brown.mean()).max()).astype(np.float32)]
    prompts, durations, seeds = PROMPTS[:2], [seconds, seconds], [5, 6]

    def sample(strength: float, clips: list = init) -> tuple[list[np.ndarray], list[float]]:
        caught: list[torch.Tensor] = []
        hook = decoder.register_forward_pre_hook(lambda _, args: caught.append(args[0].detach().float().cpu())) if decoder is not None else None
        out = model.sample(prompts, durations, steps, GUIDANCE, seeds, init_audio=clips, init_strength=strength)
        if hook is None:
            return out, [log_mel_distance(wave, clip, model.sample_rate) for wave, clip in zip(out, init)]
        hook.remove()
        reference = clean_latents(init).float().cpu()  # type: ignore[misc]
        latents = torch.cat(caught)
        return out, [float((latents[i] - reference[i]).abs().mean()) for i in range(len(init))]

    plain = model.sample(prompts, durations, steps, GUIDANCE, seeds)
    full, far = sample(1.0)
    for a, b in zip(plain, full):
        np.testing.assert_array_equal(a, b)
    light, near = sample(0.1)
    assert [len(w) for w in light] == [n, n] and all(np.isfinite(w).all() for w in light)
    assert all(2 * a < b for a, b in zip(near, far)), f"strength 0.1 should land much closer to the init clip than strength 1: {near} vs {far}"
    mixed, _ = sample(0.1, [init[0], None])
    np.testing.assert_allclose(mixed[0], light[0], atol=1e-5)
    np.testing.assert_allclose(mixed[1], plain[1], atol=1e-5)
    for strength in (0.0, -0.5, 1.5, float("nan")):
        with pytest.raises(ValueError, match="init_strength"):
            model.sample(prompts, durations, steps, GUIDANCE, seeds, init_audio=init, init_strength=strength)
    with pytest.raises(ValueError, match="one init clip"):
        model.sample(prompts, durations, steps, GUIDANCE, seeds, init_audio=init[:1], init_strength=0.5)
    with pytest.raises(ValueError, match="resample"):
        model.sample(prompts, durations, steps, GUIDANCE, seeds, init_audio=[init[0], init[1][: n // 2]], init_strength=0.5)
