import numpy as np
import pytest
import torch

from synthio.clap.base import score
from synthio.filter import auto_threshold, label_match, label_scores, prototype_match, real_score_report
from synthio.weights import shipped
from tests.conftest import tone


def test_auto_threshold_is_the_percentile():
    assert auto_threshold(np.arange(11) / 10, 10.0) == pytest.approx(0.1)
    assert auto_threshold(torch.tensor([0.2, 0.4]), 50.0) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="no real clips"):
        auto_threshold([], 10.0)


def test_report_separates_own_and_other_labels():
    scores = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    report = real_score_report(scores, [0, 1, 0])
    assert report["own_label"]["q50"] == pytest.approx(0.8) and report["other_labels"]["mean"] == pytest.approx(0.2)


def test_label_scores_match_the_paired_score():
    from synthio.clap.tiny import TinyClap

    clap = TinyClap.load(shipped("tiny_clap"))
    waves = [tone(300), tone(2000)]
    matrix = label_scores(clap, waves, 16000, ["siren", "dog_bark"])
    assert matrix.shape == (2, 2)
    paired = score(clap, waves, 16000, ["Sound of a siren", "Sound of a dog_bark"])
    assert torch.allclose(matrix[[0, 1], [0, 1]], paired, atol=1e-5)


class AxisScorer:
    """Audio embedding = the waveform's first samples, text embedding = a one-hot per keyword: exact cosines."""

    name = "axes"
    model_sample_rate = 16000

    def embed_audio(self, waveforms, sample_rate):
        return torch.tensor(np.stack([w[:3] for w in waveforms]), dtype=torch.float32)

    def embed_text(self, texts):
        axes = {"a": [1.0, 0.0, 0.0], "b": [0.0, 1.0, 0.0], "c": [0.0, 0.0, 1.0]}
        return torch.tensor([axes[t.split()[-1]] for t in texts])

    def log_logit_scale(self):
        return float(np.log(10.0))

    def logit_bias(self):
        return 0.0


def test_margins_are_own_cosine_minus_the_best_other_and_scores_their_sigmoid():
    waves = [np.array([0.8, 0.6, 0.0], np.float32), np.array([0.6, 0.8, 0.0], np.float32), np.array([0.0, 0.0, 1.0], np.float32)]
    match = label_match(AxisScorer(), waves, 16000, ["a", "b", "c"])
    torch.testing.assert_close(match.margins([0, 0, 2]), torch.tensor([0.2, -0.2, 1.0]))
    torch.testing.assert_close(match.values([0, 0, 2], "score"), torch.sigmoid(10 * torch.tensor([0.8, 0.6, 1.0])))
    torch.testing.assert_close(match.values([1, 0, 2], "margin"), torch.tensor([-0.2, -0.2, 1.0]))
    with pytest.raises(ValueError, match="two labels"):
        label_match(AxisScorer(), waves, 16000, ["a"]).margins([0, 0, 0])


def test_prototype_margins_compare_with_each_labels_mean_real_embedding_and_leave_one_out():
    references = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 1.0]])
    match = prototype_match(torch.tensor([[1.0, 0.0]]), references, [0, 1, 1, 0], 2)
    torch.testing.assert_close(match.cosines, torch.tensor([[np.cos(np.pi / 8), 0.0]], dtype=torch.float32))
    loo = prototype_match(references, references, [0, 1, 1, 0], 2, leave_one_out=True)
    torch.testing.assert_close(loo.cosines, torch.tensor([[np.sqrt(0.5), 0.0], [np.sin(np.pi / 8), 1.0], [np.sin(np.pi / 8), 1.0], [np.sqrt(0.5), np.sqrt(0.5)]], dtype=torch.float32))
    assert torch.isnan(prototype_match(references[:3], references[:3], [0, 1, 1], 2, leave_one_out=True).cosines[0, 0])
