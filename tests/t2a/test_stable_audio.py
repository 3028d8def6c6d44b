"""StableAudioT2A against a tiny random StableAudioPipeline built here (no download)."""

import numpy as np
import pytest

from synthio.t2a.stable_audio import StableAudioT2A
from tests.t2a import contract
from tests.tiny_models import tiny_stable_audio_pipeline

pytestmark = pytest.mark.filterwarnings("ignore")


def make_model():
    return StableAudioT2A(tiny_stable_audio_pipeline())


def test_batched_outputs_follow_their_prompt_seed_and_duration():
    contract.batched_outputs_follow_their_prompt(make_model(), 0.2, 0.1)


def test_several_waveforms_per_prompt_stay_with_their_prompt():
    contract.several_per_prompt_stay_with_their_prompt(make_model(), 0.2)


def test_same_seed_same_audio():
    contract.same_seed_same_audio(make_model(), 0.15)


def test_diffusion_loss_is_per_sample():
    rng = np.random.default_rng(0)
    model = make_model()
    contract.diffusion_loss_is_per_sample(model, [rng.standard_normal(200).astype(np.float32) * 0.1, rng.standard_normal(120).astype(np.float32) * 0.1])
    encoded = model.encode([np.zeros(200, np.float32), np.zeros(120, np.float32)], 1000)
    assert encoded.latents.shape == (2, 4, 32) and encoded.seconds == [0.2, 0.12]
    with pytest.raises(ValueError, match="exceeds the model window"):
        model.encode([np.zeros(5000, np.float32)], 1000)


def test_lora_reference_is_the_untouched_base_and_only_lora_trains(tmp_path):
    contract.lora_reference_is_the_untouched_base(make_model(), np.sin(np.arange(200) / 3).astype(np.float32), make_model, tmp_path)


def test_loads_from_a_local_folder_only(tmp_path):
    tiny_stable_audio_pipeline().save_pretrained(tmp_path / "sao")
    model = StableAudioT2A.from_pretrained(tmp_path / "sao")
    assert model.sample_rate == 1000 and model.max_seconds == pytest.approx(0.256)
    with pytest.raises(FileNotFoundError, match="model_index.json"):
        StableAudioT2A.from_pretrained(tmp_path)


def test_variations_start_from_the_init_clip():
    model = make_model()
    contract.variations_start_from_the_init_clip(model, 0.2, decoder=model.pipeline.vae.decoder, clean_latents=lambda clips: model.encode(clips, model.sample_rate).latents)
