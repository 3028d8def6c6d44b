import numpy as np
import pytest

from synthio.caption import Captioner, DescriptorCaptioner
from synthio.caption.transformers_captioner import TransformersCaptioner
from tests.tiny_models import WORDS, save_tiny_whisper


def test_descriptor_captioner_needs_labels():
    captioner = DescriptorCaptioner()
    assert isinstance(captioner, Captioner)
    x = (0.3 * np.sin(np.arange(16000) / 5)).astype(np.float32)
    assert captioner.caption([x, x], 16000, ["siren", "car_horn"])[1].startswith("Sound of a car horn")
    with pytest.raises(ValueError, match="one label per waveform"):
        captioner.caption([x], 16000)


def test_transformers_captioner_from_a_tiny_local_whisper(tmp_path):
    captioner = TransformersCaptioner(save_tiny_whisper(tmp_path / "w"), max_new_tokens=4)
    assert isinstance(captioner, Captioner) and captioner.model_sample_rate == 16000
    rng = np.random.default_rng(0)
    captions = captioner.caption([rng.standard_normal(16000).astype(np.float32), rng.standard_normal(22050).astype(np.float32)], 22050)
    assert len(captions) == 2
    assert all(isinstance(c, str) and set(c.split()) <= set(WORDS) for c in captions)
    with pytest.raises(FileNotFoundError, match="config.json"):
        TransformersCaptioner(tmp_path)
