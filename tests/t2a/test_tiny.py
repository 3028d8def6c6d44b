"""The embedded TinyT2A with a tiny config (real MiniLM text tower, random UNet)."""

import functools

import numpy as np
import pytest
import torch

from synthio.t2a.tiny import TinyT2A, TinyT2AConfig
from synthio.text import MiniLMText
from tests.t2a import contract

pytestmark = pytest.mark.filterwarnings("ignore")
SMALL = TinyT2AConfig(n_mels=16, max_seconds=0.5, patch_size=2, block_out_channels=[8, 16], attention_levels=1, attention_head_dim=4, griffin_lim_iterations=2, max_text_tokens=8)


@pytest.fixture(scope="module")
def text():
    return MiniLMText()


def make_model(text):
    torch.manual_seed(0)
    return TinyT2A(SMALL, text=text)


def test_batched_outputs_follow_their_prompt_seed_and_duration(text):
    contract.batched_outputs_follow_their_prompt(make_model(text), 0.5, 0.25)


def test_several_waveforms_per_prompt_stay_with_their_prompt(text):
    contract.several_per_prompt_stay_with_their_prompt(make_model(text), 0.25)


def test_same_seed_same_audio(text):
    contract.same_seed_same_audio(make_model(text), 0.25)


def test_diffusion_loss_is_per_sample(text):
    rng = np.random.default_rng(0)
    model = make_model(text)
    contract.diffusion_loss_is_per_sample(model, [rng.standard_normal(8000).astype(np.float32) * 0.1, rng.standard_normal(6000).astype(np.float32) * 0.1])
    encoded = model.encode([np.zeros(8000, np.float32)], 16000)
    assert encoded.latents.shape == (1, 1, 16, model.frames_for(0.5)) and model.frames_for(0.5) % 2 == 0
    dropped = model.diffusion_loss(encoded, ["rain"], torch.tensor([0.5]), torch.zeros_like(encoded.latents), torch.tensor([True]))
    assert dropped.shape == (1,)
    with pytest.raises(ValueError, match="exceeds the model window"):
        model.encode([np.zeros(16000, np.float32)], 16000)


def test_lora_reference_is_the_untouched_base_and_only_lora_trains(tmp_path, text):
    waveform = np.sin(np.arange(8000) / 3).astype(np.float32)
    contract.lora_reference_is_the_untouched_base(make_model(text), waveform, functools.partial(make_model, text), tmp_path)


def test_save_load_round_trip(tmp_path, text):
    model = make_model(text)
    model.fit_statistics(torch.randn(3, 16, 20) * 2 - 5)
    model.save(tmp_path / "t2a")
    again = TinyT2A.load(tmp_path / "t2a", text=text)
    assert torch.equal(again.mel_mean, model.mel_mean)
    with torch.no_grad():
        for p in model.unet.parameters():
            p.copy_(p.half().float())
    np.testing.assert_allclose(again.sample(["rain"], [0.25], 2, 2.0, [3])[0], model.sample(["rain"], [0.25], 2, 2.0, [3])[0], atol=1e-6)


def test_longer_than_the_window_is_tiled_and_starts_like_the_short_clip(text):
    model = make_model(text)
    short, long = model.sample(["rain", "rain"], [0.5, 1.2], 2, 2.0, [4, 4])
    assert len(long) == 19200
    np.testing.assert_allclose(long[160:7840], short[160:7840], atol=1e-6)


def test_rejects_a_config_whose_shapes_cannot_work(text):
    with pytest.raises(ValueError, match="patch_size"):
        TinyT2A(TinyT2AConfig(n_mels=18, patch_size=4), text=text)
    with pytest.raises(ValueError, match="attention_levels"):
        TinyT2A(TinyT2AConfig(block_out_channels=[8, 16], attention_levels=3), text=text)


def test_griffin_lim_recovers_a_tone(text):
    tone = (0.5 * np.sin(2 * np.pi * 1000 * np.arange(8000) / 16000)).astype(np.float32)
    model = TinyT2A(TinyT2AConfig(n_mels=64, max_seconds=0.5, patch_size=2, block_out_channels=[8, 16], attention_levels=1, attention_head_dim=4, griffin_lim_iterations=16), text=text)
    audio = model.to_waveform(model.log_mel(torch.from_numpy(tone)[None])[0], 8000, seed=0)
    peak = np.argmax(np.abs(np.fft.rfft(audio))) * 16000 / len(audio)
    assert abs(peak - 1000) < 150


@pytest.mark.parametrize("seconds", [0.5 + 1 / 16000, 0.5 + 0.02, 1.0 + 0.0625, 0.003, 1 / 16000])
def test_every_duration_generates_past_a_window_edge_and_below_one_fft_frame(text, seconds):
    model = make_model(text)
    (wave,) = model.sample(["rain"], [seconds], 2, 2.0, [1])
    assert len(wave) == max(1, round(seconds * 16000)) and np.isfinite(wave).all()


def test_clips_of_one_latent_length_are_denoised_as_one_batch_and_cut_each_to_its_duration(text, monkeypatch):
    model = make_model(text)
    batches = []
    denoise = model._denoise
    monkeypatch.setattr(model, "_denoise", lambda noise, *args: batches.append(len(noise)) or denoise(noise, *args))
    seconds = [0.2, 0.21, 0.22, 0.4]
    assert len({model.frames_for(s) for s in seconds[:3]}) == 1 and model.frames_for(0.4) != model.frames_for(0.2)
    waves = model.sample(["rain"] * 4, seconds, 2, 2.0, [1, 2, 3, 4])
    assert sorted(batches) == [1, 3] and [len(w) for w in waves] == [round(s * 16000) for s in seconds]


def test_clips_shorter_than_one_fft_frame_encode_as_the_silence_padded_clip(text):
    model = make_model(text)
    clip = np.full(300, 0.1, np.float32)
    padded = np.concatenate([clip, np.zeros(724, np.float32)])
    encoded, reference = model.encode([clip], 16000), model.encode([padded], 16000)
    assert encoded.seconds == [300 / 16000]
    torch.testing.assert_close(encoded.latents, reference.latents, rtol=0, atol=0)


def test_variations_start_from_the_init_clip(text):
    contract.variations_start_from_the_init_clip(make_model(text), 0.5)


def test_variations_of_a_clip_longer_than_the_window_take_each_window_from_its_part(text):
    model = make_model(text)
    clip = np.sin(np.arange(19200) * 0.3).astype(np.float32)
    long, short = model.sample(["rain", "rain"], [1.2, 0.5], 10, 2.0, [4, 4], init_audio=[clip, clip[:8000]], init_strength=0.1)
    np.testing.assert_allclose(long[160:7840], short[160:7840], atol=1e-4)


@pytest.mark.parametrize("sampler", ["dpmpp-2m", "unipc"])
def test_faster_samplers_keep_the_protocol_and_the_variations(text, sampler):
    model = make_model(text)
    model.set_sampler(sampler)
    assert type(model.sample_scheduler).__name__ == {"dpmpp-2m": "DPMSolverMultistepScheduler", "unipc": "UniPCMultistepScheduler"}[sampler]
    assert torch.equal(model.sample_scheduler.alphas_cumprod, model.train_scheduler.alphas_cumprod)
    contract.batched_outputs_follow_their_prompt(model, 0.5, 0.25)
    contract.same_seed_same_audio(model, 0.25)
    contract.variations_start_from_the_init_clip(model, 0.5)
    ddim = make_model(text)
    assert not np.allclose(contract.sample_one(model, "rain", 0.25, 3), contract.sample_one(ddim, "rain", 0.25, 3))


def test_the_multistep_solvers_do_not_start_where_the_cosine_schedule_has_no_signal_left(text):
    model = make_model(text)
    first = {}
    for sampler in ("ddim", "dpmpp-2m", "unipc"):
        model.set_sampler(sampler)
        model.sample_scheduler.set_timesteps(8)
        first[sampler] = int(model.sample_scheduler.timesteps[0])
    assert first == {"ddim": 875, "dpmpp-2m": 995, "unipc": 888}


def test_an_unknown_sampler_is_refused_by_name(text):
    from synthio.config import ConfigError

    with pytest.raises(ConfigError, match="'euler' is not one of the embedded T2A's: ddim, dpmpp-2m, unipc"):
        make_model(text).set_sampler("euler")
