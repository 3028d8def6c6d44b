"""AudioLDM2T2A against a tiny random AudioLDM2Pipeline built here (no download)."""

import numpy as np
import pytest
import torch

from synthio.t2a.audioldm2 import AudioLDM2T2A
from tests.t2a import contract
from tests.tiny_models import tiny_audioldm2_pipeline

pytestmark = pytest.mark.filterwarnings("ignore")


def make_model():
    return AudioLDM2T2A(tiny_audioldm2_pipeline())


def test_batched_outputs_follow_their_prompt_seed_and_duration():
    contract.batched_outputs_follow_their_prompt(make_model(), 0.1, 0.08)


def test_several_waveforms_per_prompt_stay_with_their_prompt():
    contract.several_per_prompt_stay_with_their_prompt(make_model(), 0.1)


def test_same_seed_same_audio():
    contract.same_seed_same_audio(make_model(), 0.1)


def test_diffusion_loss_is_per_sample():
    rng = np.random.default_rng(0)
    model = make_model()
    contract.diffusion_loss_is_per_sample(model, [rng.standard_normal(1600).astype(np.float32) * 0.1, rng.standard_normal(1200).astype(np.float32) * 0.1])
    encoded = model.encode([np.zeros(1600, np.float32)], 16000)
    assert encoded.latents.shape == (1, 4, 200, 4)


def test_log_mel_peaks_in_the_right_band():
    model = make_model()
    t = torch.arange(16000) / 16000
    low, high = model.log_mel(torch.stack([torch.sin(2 * torch.pi * 300 * t), torch.sin(2 * torch.pi * 5000 * t)])).mean(1).argmax(-1)
    assert low < high


def test_lora_reference_is_the_untouched_base_and_only_lora_trains(tmp_path):
    contract.lora_reference_is_the_untouched_base(make_model(), np.sin(np.arange(1600) / 3).astype(np.float32), make_model, tmp_path)


def test_loads_from_a_local_folder_only(tmp_path):
    tiny_audioldm2_pipeline().save_pretrained(tmp_path / "aldm2")
    model = AudioLDM2T2A.from_pretrained(tmp_path / "aldm2")
    assert model.sample_rate == 16000
    with pytest.raises(FileNotFoundError, match="model_index.json"):
        AudioLDM2T2A.from_pretrained(tmp_path)


def test_variations_start_from_the_init_clip():
    model = make_model()
    vae = model.pipeline.vae
    contract.variations_start_from_the_init_clip(model, 0.1, decoder=vae.post_quant_conv, clean_latents=lambda clips: model.clean_latents(clips, 0.1) / vae.config.scaling_factor)
