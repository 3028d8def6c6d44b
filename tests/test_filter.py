import numpy as np
import pytest
import torch

from synthio.clap.base import score
from synthio.filter import auto_threshold, label_scores, real_score_report
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
    assert torch.allclose(matrix[[0, 1], [0, 1]], paired, atol=1e-6)
