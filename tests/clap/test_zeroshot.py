import numpy as np
import pytest
import torch

from synthio.clap.zeroshot import zero_shot
from synthio.dataset import Clip
from synthio.errors import SynthioError


class LoudnessScorer:
    """Embeds audio by loudness and text by a keyword: an exact stand-in for a CLAP."""

    name = "fake"
    model_sample_rate = 16000

    def embed_audio(self, waveforms, sample_rate):
        loud = torch.tensor([float(np.abs(w).max() > 0.5) for w in waveforms])
        return torch.stack([loud, 1 - loud], 1)

    def embed_text(self, texts):
        return torch.tensor([[1.0, 0.0] if "loud" in t else [0.0, 1.0] for t in texts])

    def log_logit_scale(self):
        return 0.0

    def logit_bias(self):
        return 0.0


def clip(label, level, rate=16000):
    return Clip("x", label, np.full(100, level, np.float32), rate)


def test_accuracy_and_per_class():
    clips = [clip("loud", 0.9), clip("loud", 0.1), clip("quiet", 0.1), clip("quiet", 0.2, rate=8000)]
    result = zero_shot(LoudnessScorer(), clips, ["loud", "quiet"])
    assert result["accuracy"] == 0.75 and result["per_class"] == {"loud": 0.5, "quiet": 1.0} and result["num_clips"] == 4
    with pytest.raises(SynthioError, match="empty"):
        zero_shot(LoudnessScorer(), [], ["loud"])
