import math

import numpy as np
import pytest
import torch

from synthio.clap.base import AudioTextScorer, score
from synthio.clap.tiny import TinyClap, TinyClapAudio, TinyClapConfig, load_tiny_clap_audio, multi_positive_clip_loss, save_tiny_clap
from synthio.text import MiniLMText

SMALL = TinyClapConfig(seconds=0.5, n_mels=16, channels=(4, 8), embed_dim=8)


@pytest.fixture(scope="module")
def text():
    return MiniLMText()


def test_minilm_embeddings_are_normalised_and_meaningful(text):
    e = text(["a dog barks", "a dog is barking", "a violin plays a note"])
    assert e.shape == (3, 384) and torch.allclose(e.norm(dim=-1), torch.ones(3), atol=1e-5)
    assert float(e[0] @ e[1]) > float(e[0] @ e[2])


def test_multi_positive_loss_exact_values():
    a = torch.eye(2)
    scale = torch.tensor(0.0)  # exp(0) = 1
    distinct = multi_positive_clip_loss(a, a, torch.tensor([0, 1]), scale)
    assert distinct.item() == pytest.approx(-math.log(math.e / (math.e + 1)), abs=1e-6)
    same = multi_positive_clip_loss(a, a, torch.tensor([0, 0]), scale)
    assert same.item() == pytest.approx(math.log(math.e + 1) - 0.5, abs=1e-6)


def test_save_load_round_trip_and_shared_score(tmp_path, text):
    torch.manual_seed(0)
    audio = TinyClapAudio(SMALL)
    with torch.no_grad():
        audio.feature_mean.fill_(-5.0)
        audio.logit_scale.fill_(2.0)
    save_tiny_clap(audio, tmp_path / "m")
    loaded = load_tiny_clap_audio(tmp_path / "m").state_dict()
    for key, value in audio.state_dict().items():
        matrix = value.is_floating_point() and value.dim() >= 2
        assert loaded[key].dtype == value.dtype and torch.equal(loaded[key], value.half().float() if matrix else value), key
    with torch.no_grad():
        for parameter in audio.parameters():
            parameter.copy_(parameter.half().float() if parameter.dim() >= 2 else parameter)
    a, b = TinyClap(audio, text), TinyClap.load(tmp_path / "m", text=text)
    assert isinstance(b, AudioTextScorer)
    waves = [np.sin(np.arange(12000) / 7).astype(np.float32), np.random.default_rng(0).standard_normal(4000).astype(np.float32)]
    assert torch.allclose(a.embed_audio(waves, 16000), b.embed_audio(waves, 16000))
    assert torch.allclose(a.embed_text(["rain"]), b.embed_text(["rain"]))
    assert b.log_logit_scale() == pytest.approx(2.0)
    got = score(b, waves, 16000, ["rain", "dog"])
    cosine = (b.embed_audio(waves, 16000) * b.embed_text(["rain", "dog"])).sum(-1)
    assert torch.allclose(got, torch.sigmoid(math.exp(2.0) * cosine), atol=1e-6)
    assert b.embed_audio([waves[0]], 8000).shape == (1, 8)


def test_shipped_weights_load_through_the_embedded_backend():
    from synthio.backends import ClapSpec, load_clap
    from synthio.weights import shipped

    scorer = load_clap(ClapSpec())
    assert scorer.name == "embedded:tiny-clap" and scorer.model_sample_rate == 16000
    assert (shipped("tiny_clap") / "MODEL_CARD.md").is_file()
    audio = scorer.embed_audio([np.sin(np.arange(32000) / 9).astype(np.float32)], 16000)
    assert torch.allclose(audio.norm(dim=-1), torch.ones(1), atol=1e-5)
    assert scorer.embed_text(["Sound of a siren", "Sound of a dog_bark"]).shape == (2, 256)
    assert 2.0 < scorer.log_logit_scale() < math.log(100)
    assert scorer.calibration is not None and scorer.logit_bias() < 0  # v2 ships its Platt scaling (docs/results.md §2)
