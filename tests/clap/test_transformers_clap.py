import math

import numpy as np
import pytest
import torch

from synthio.clap.base import AudioTextScorer, clap_score, score
from synthio.clap.transformers_clap import TransformersClap
from tests.tiny_models import save_tiny_clap


@pytest.fixture(scope="module")
def clap(tmp_path_factory):
    return TransformersClap.from_pretrained(save_tiny_clap(tmp_path_factory.mktemp("clap")))


def test_embeddings_are_normalised_and_resampled(clap):
    assert isinstance(clap, AudioTextScorer) and clap.model_sample_rate == 16000
    rng = np.random.default_rng(0)
    a16 = clap.embed_audio([rng.standard_normal(16000).astype(np.float32), rng.standard_normal(4000).astype(np.float32)], 16000)
    a8 = clap.embed_audio([rng.standard_normal(8000).astype(np.float32)], 8000)
    assert a16.shape == (2, 32) and a8.shape == (1, 32)
    assert torch.allclose(a16.norm(dim=-1), torch.ones(2), atol=1e-5)
    t = clap.embed_text(["sound of a dog", "car horn in the street"])
    assert t.shape == (2, 32) and torch.allclose(t.norm(dim=-1), torch.ones(2), atol=1e-5)


def test_score_uses_the_shared_formula(clap):
    rng = np.random.default_rng(1)
    waves = [rng.standard_normal(16000).astype(np.float32) for _ in range(2)]
    texts = ["sound of a dog", "sound of a siren"]
    got = score(clap, waves, 16000, texts)
    cosine = (clap.embed_audio(waves, 16000) * clap.embed_text(texts)).sum(-1)
    assert torch.allclose(got, torch.sigmoid(math.exp(clap.log_logit_scale()) * cosine), atol=1e-6)
    assert torch.allclose(got, clap_score(clap.embed_audio(waves, 16000), clap.embed_text(texts), clap.log_logit_scale()))


def test_not_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json"):
        TransformersClap.from_pretrained(tmp_path)
