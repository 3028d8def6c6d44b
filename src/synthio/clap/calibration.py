"""Platt calibration of a CLAP score: ``sigmoid(exp(s) * cos + b)`` fitted on clips the model never trained on.

Why: the paper's score ``sigmoid(exp(logit_scale) * cos)`` (stage 6) reuses the contrastive
training temperature, which is tuned for a softmax over a batch, not for a yes/no decision. With
the tiny CLAP v1 (scale ~15, cosines mostly positive) every pair scores above 0.99, so a fixed
threshold such as the release's 0.85 keeps everything. Fitting the scale ``s`` and a bias ``b`` by
logistic regression on held-out (clip, "Sound of a {label}") pairs makes the score read as "how
likely this clip is its label rather than another label of its dataset".

Pitfalls: pairs are class-balanced (own-label pairs and other-label pairs weigh the same in
total), so 0.5 means "as much a match as not" whatever the number of labels; negatives come only
from the labels of the clip's own source, the comparison the filter makes among a dataset's
labels. Calibrating on training clips would fit the model's optimism on them: hold clips out.
The transform is monotone, so ``threshold: auto`` keeps the same clips as without it (up to the
percentile's interpolation between two real clips' values).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True)
class ScoreCalibration:
    """A fitted ``(log_logit_scale, logit_bias)`` and what it was fitted on; lives beside a model as ``calibration.json``."""

    log_logit_scale: float
    logit_bias: float
    held_out_clips: int
    pairs: int
    report: dict

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / CALIBRATION_FILE
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, folder: str | Path) -> ScoreCalibration | None:
        """The folder's ``calibration.json``, or None when it has none."""
        path = Path(folder) / CALIBRATION_FILE
        return cls(**json.loads(path.read_text())) if path.is_file() else None


def fit_platt(cosines: torch.Tensor, targets: torch.Tensor, iterations: int = 200) -> tuple[float, float]:
    """``(log_logit_scale, logit_bias)`` minimising the class-balanced log loss of ``sigmoid(exp(s) * cos + b)`` (Platt 1999).

    Platt's smoothed targets ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)`` keep the optimum finite when the pairs are separable.
    """
    cosines, targets = cosines.double().flatten(), targets.bool().flatten()
    if not targets.any() or targets.all():
        raise ValueError("calibration needs both matching and non-matching pairs")
    positives, negatives = int(targets.sum()), int((~targets).sum())
    soft = torch.where(targets, (positives + 1) / (positives + 2), 1 / (negatives + 2)).double()
    weights = torch.where(targets, 0.5 / positives, 0.5 / negatives).double()
    params = torch.tensor([0.0, 0.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([params], lr=1.0, max_iter=iterations, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = (weights * F.binary_cross_entropy_with_logits(params[0].exp() * cosines + params[1], soft, reduction="none")).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(params[0].detach()), float(params[1].detach())


def balanced_log_loss(scores: torch.Tensor, targets: torch.Tensor) -> float:
    """Class-balanced binary log loss of probabilities ``scores`` (clamped away from 0 and 1)."""
    scores, targets = scores.double().clamp(1e-7, 1 - 1e-7), targets.bool()
    return float(-0.5 * (scores[targets].log().mean() + (1 - scores[~targets]).log().mean()))


def calibrate(cosines: list[torch.Tensor], own: list[int], log_logit_scale: float) -> ScoreCalibration:
    """Fit on held-out clips: ``cosines[k]`` holds clip k's cosines to its source's label prompts, ``own[k]`` its label's index there."""
    if len(cosines) != len(own):
        raise ValueError(f"{len(cosines)} clips of cosines but {len(own)} labels")
    flat = torch.cat([c.flatten() for c in cosines])
    targets = torch.cat([F.one_hot(torch.tensor(k), len(c)).bool() for c, k in zip(cosines, own)])
    scale, bias = fit_platt(flat, targets)

    def summary(scores: torch.Tensor) -> dict:
        return {"balanced_log_loss": balanced_log_loss(scores, targets), "own_label_median": float(scores[targets].median()), "other_labels_median": float(scores[~targets].median())}

    uncalibrated = torch.sigmoid(torch.tensor(log_logit_scale).exp() * flat)
    calibrated = torch.sigmoid(torch.tensor(scale).exp() * flat + bias)
    accuracy = float(torch.tensor([int(c.argmax()) == k for c, k in zip(cosines, own)], dtype=torch.float32).mean())
    report = {"zero_shot_top1": accuracy, "uncalibrated": summary(uncalibrated), "calibrated": summary(calibrated)}
    return ScoreCalibration(scale, bias, len(cosines), len(flat), report)
