import math

import numpy as np
import pytest
import torch

from synthio.clap.base import clap_score
from synthio.clap.calibration import ScoreCalibration, balanced_log_loss, calibrate, fit_platt
from synthio.clap.tiny import TinyClap, TinyClapAudio, save_tiny_clap
from tests.clap.test_tiny import SMALL


def test_platt_fit_reaches_the_closed_form_optimum():
    cosines = torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0, 1.0])
    targets = torch.tensor([True, True, True, True, False, False, False, False])
    log_scale, bias = fit_platt(cosines, targets)
    assert math.exp(log_scale) == pytest.approx(math.log(2.0), abs=1e-4)  # Platt's targets 5/6 and 1/6: P(match | cos = 1) = (3 * 5/6 + 1/6) / 4 = 2/3
    assert bias == pytest.approx(0.0, abs=1e-4)
    with pytest.raises(ValueError, match="both matching and non-matching"):
        fit_platt(cosines, torch.ones(8, dtype=torch.bool))
    separable_scale, _ = fit_platt(torch.tensor([0.9, 0.8, 0.2, 0.1]), torch.tensor([True, True, False, False]))
    assert math.isfinite(separable_scale) and math.exp(separable_scale) < 100  # Platt's targets keep the optimum finite


def test_balanced_log_loss_weighs_each_class_equally():
    scores, targets = torch.tensor([0.5, 0.5, 0.5, 0.75]), torch.tensor([True, False, False, False])
    assert balanced_log_loss(scores, targets) == pytest.approx(-0.5 * (math.log(0.5) + (2 * math.log(0.5) + math.log(0.25)) / 3))


def test_calibration_unsaturates_scores_keeps_their_order_and_reports_top1():
    cosines = [torch.tensor([0.7, 0.4, 0.3]), torch.tensor([0.35, 0.6, 0.5]), torch.tensor([0.5, 0.55, 0.3]), torch.tensor([0.2, 0.3, 0.65])]
    result = calibrate(cosines, [0, 1, 0, 2], log_logit_scale=math.log(15.0))
    assert result.held_out_clips == 4 and result.pairs == 12 and result.report["zero_shot_top1"] == 0.75
    assert result.report["uncalibrated"]["other_labels_median"] > 0.98
    assert result.report["calibrated"]["other_labels_median"] < 0.5 < result.report["calibrated"]["own_label_median"]
    assert result.report["calibrated"]["balanced_log_loss"] < result.report["uncalibrated"]["balanced_log_loss"]
    flat = torch.cat(cosines)
    calibrated = torch.sigmoid(math.exp(result.log_logit_scale) * flat + result.logit_bias)
    assert torch.equal(calibrated.argsort(stable=True), flat.argsort(stable=True))
    with pytest.raises(ValueError, match="4 clips of cosines but 3 labels"):
        calibrate(cosines, [0, 1, 0], 1.0)


def test_a_tiny_clap_folder_with_calibration_scores_with_it(tmp_path):
    torch.manual_seed(0)
    folder = save_tiny_clap(TinyClapAudio(SMALL), tmp_path / "m")
    assert ScoreCalibration.load(folder) is None and TinyClap.load(folder).logit_bias() == 0.0
    ScoreCalibration(0.5, -2.0, 10, 30, {"zero_shot_top1": 0.5}).save(folder)
    clap = TinyClap.load(folder)
    assert clap.log_logit_scale() == 0.5 and clap.logit_bias() == -2.0 and ScoreCalibration.load(folder).report == {"zero_shot_top1": 0.5}
    save_tiny_clap(TinyClapAudio(SMALL), folder)
    assert ScoreCalibration.load(folder) is None  # new weights: the old calibration no longer applies
    waves = [np.sin(np.arange(8000) / 5).astype(np.float32)]
    audio, text = clap.embed_audio(waves, 16000), clap.embed_text(["rain"])
    cosine = (audio * text).sum(-1)
    torch.testing.assert_close(clap_score(audio, text, clap.log_logit_scale(), clap.logit_bias()), torch.sigmoid(math.exp(0.5) * cosine - 2.0))
