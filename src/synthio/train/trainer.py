"""One trainer for every classifier: cross-entropy, AdamW, a fixed step budget, best-on-validation.

The budget is a number of optimiser steps, not epochs, so a method that adds rows (augmented
copies, synthetic clips) gets the same compute as gold-only; ``epochs`` in the result is derived
from it. The checkpoint kept is the one with the best validation accuracy (ties: lower loss),
evaluated before training and every ``eval_every`` steps; the test part is never seen here.

Multi-label data (labels given as a float multi-hot matrix ``(rows, num_labels)`` instead of a
vector of class indices) trains the same model with sigmoid outputs and binary cross-entropy; the
checkpoint kept is then the one with the best validation mAP (ties: lower loss), and
``choose_threshold`` picks on validation the probability threshold the F1 scores are measured at.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from synthio.device import resolve_device
from synthio.progress import progress_bar
from synthio.specaugment import SpecAugment


@dataclass(frozen=True)
class TrainConfig:
    """Trainer settings; ``learning_rate=None`` takes the classifier's ``default_learning_rate``."""

    steps: int = 300
    batch_size: int = 32
    learning_rate: float | None = None
    weight_decay: float = 1e-2
    warmup_fraction: float = 0.05
    eval_every: int = 25
    seed: int = 0
    device: str = "auto"


@dataclass(frozen=True)
class TrainResult:
    steps: int
    epochs: float
    best_step: int
    val_accuracy: float | None
    val_map: float | None = None  # multi-label: the validation mAP the checkpoint was chosen on (val_accuracy is then None)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of exact matches."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return float((y_true == y_pred).mean())


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean of per-class F1 over every class in ``y_true`` or ``y_pred`` (as scikit-learn)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    scores = []
    for c in np.union1d(y_true, y_pred):
        tp = np.sum((y_true == c) & (y_pred == c))
        fp = np.sum((y_true != c) & (y_pred == c))
        fn = np.sum((y_true == c) & (y_pred != c))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def average_precision(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Average precision of one label (as scikit-learn's): the sum over distinct score thresholds of precision times recall gained."""
    y_true, scores = np.asarray(y_true, dtype=bool), np.asarray(scores, dtype=np.float64)
    positives = int(y_true.sum())
    if positives == 0:
        raise ValueError("average precision needs at least one positive")
    order = np.argsort(-scores, kind="stable")
    hits, ranked = y_true[order], scores[order]
    last = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1]  # the last row of each group of tied scores
    tp = np.cumsum(hits)[last]
    precision, recall = tp / (last + 1), tp / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def mean_average_precision(y_true: np.ndarray, scores: np.ndarray) -> float:
    """mAP: the unweighted mean of per-label average precision over the labels with at least one positive in ``y_true`` ``(N, L)``."""
    y_true, scores = np.asarray(y_true), np.asarray(scores)
    present = [k for k in range(y_true.shape[1]) if y_true[:, k].any()]
    if not present:
        raise ValueError("mAP of a set without any positive label is undefined")
    return float(np.mean([average_precision(y_true[:, k], scores[:, k]) for k in present]))


def multi_label_f1(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float]:
    """``(micro_f1, macro_f1)`` of binary ``(N, L)`` predictions; macro averages the labels positive in ``y_true`` or ``y_pred``."""
    y_true, y_pred = np.asarray(y_true, dtype=bool), np.asarray(y_pred, dtype=bool)
    tp, fp, fn = (y_true & y_pred).sum(0), (~y_true & y_pred).sum(0), (y_true & ~y_pred).sum(0)
    micro = 2 * tp.sum() / max(1, 2 * tp.sum() + fp.sum() + fn.sum())
    active = (tp + fp + fn) > 0
    macro = float(np.mean(2 * tp[active] / (2 * tp[active] + fp[active] + fn[active]))) if active.any() else 0.0
    return float(micro), macro


THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))


def choose_threshold(y_true: np.ndarray, probabilities: np.ndarray) -> float:
    """The probability threshold in 0.05 ... 0.95 with the best micro-F1 on ``y_true`` (ties: the one closest to 0.5); 0.5 for an empty set."""
    if len(y_true) == 0:
        return 0.5
    return max(THRESHOLDS, key=lambda t: (multi_label_f1(y_true, probabilities >= t)[0], -abs(t - 0.5)))


def _autocast(device: torch.device):
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)


@torch.no_grad()
def predict_logits(model, features: torch.Tensor, batch_size: int = 128, device: str = "auto") -> torch.Tensor:
    """Logits for raw features ``(num_clips, frames, bins)``, in eval mode, on CPU."""
    dev = torch.device(resolve_device(device))
    model.to(dev).eval()
    out = []
    for start in range(0, len(features), batch_size):
        batch = features[start : start + batch_size].to(dev)
        with _autocast(dev):
            out.append(model(model.prepare(batch)).float().cpu())
    return torch.cat(out) if out else torch.zeros(0, len(model.labels))


def is_multi_hot(labels: torch.Tensor) -> bool:
    """Multi-hot ``(rows, num_labels)`` targets rather than ``(rows,)`` class indices."""
    return labels.ndim == 2


def loss_function(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy for class indices; binary cross-entropy on sigmoid outputs for multi-hot targets."""
    return F.binary_cross_entropy_with_logits(logits, labels.float()) if is_multi_hot(labels) else F.cross_entropy(logits, labels)


def _evaluate(model, features: torch.Tensor, labels: torch.Tensor, device: str) -> tuple[float, float]:
    logits = predict_logits(model, features, device=device)
    loss = loss_function(logits, labels).item()
    if is_multi_hot(labels):
        return mean_average_precision(labels.numpy(), torch.sigmoid(logits).numpy()), loss
    return accuracy(labels.numpy(), logits.argmax(1).numpy()), loss


def train_classifier(
    model,
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    val_features: torch.Tensor | None,
    val_labels: torch.Tensor | None,
    config: TrainConfig = TrainConfig(),
    spec_augment: SpecAugment | None = None,
    description: str = "training",
    fit_normalization: bool = True,
    start_is_candidate: bool | None = None,
) -> TrainResult:
    """Train in place and load the best-on-validation weights into ``model``; ``fit_normalization=False`` keeps the input statistics the model already has.

    The weights before any step compete for the best checkpoint only when ``start_is_candidate``
    (default: ``model.starts_trained``; True for a model that earlier training left trained).
    """
    if len(train_features) != len(train_labels):
        raise ValueError(f"{len(train_features)} feature rows but {len(train_labels)} labels")
    if len(train_features) == 0:
        raise ValueError("no training rows")
    device = torch.device(resolve_device(config.device))
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    if fit_normalization:
        model.fit_normalization(train_features)
    model.to(device)
    lr = config.learning_rate or model.default_learning_rate
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=config.weight_decay)
    warmup = max(1, int(config.steps * config.warmup_fraction))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, config.steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    has_val = val_features is not None and val_labels is not None and len(val_features) > 0
    best = (-1.0, math.inf)
    best_state, best_step = None, config.steps
    if has_val and (model.starts_trained if start_is_candidate is None else start_is_candidate):
        best = _evaluate(model, val_features, val_labels, config.device)
        best_state, best_step = copy.deepcopy(model.state_dict()), 0
    order = torch.randperm(len(train_features), generator=generator)
    cursor = 0
    with progress_bar() as progress:
        task = progress.add_task(description, total=config.steps, status="")
        for step in range(1, config.steps + 1):
            model.train()
            if cursor + config.batch_size > len(order):
                order, cursor = torch.randperm(len(train_features), generator=generator), 0
            index = order[cursor : cursor + config.batch_size]
            cursor += config.batch_size
            x = model.prepare(train_features[index].to(device))
            if spec_augment is not None:
                x = spec_augment(x, generator)
            with _autocast(device):
                loss = loss_function(model(x).float(), train_labels[index].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            if has_val and (step % config.eval_every == 0 or step == config.steps):
                val_acc, val_loss = _evaluate(model, val_features, val_labels, config.device)
                if (val_acc, -val_loss) > (best[0], -best[1]):
                    best, best_step = (val_acc, val_loss), step
                    best_state = copy.deepcopy(model.state_dict())
                progress.update(task, status=f"loss {loss.item():.3f} val {'mAP' if is_multi_hot(val_labels) else 'acc'} {val_acc:.3f} (best {best[0]:.3f} @ {best_step})")
            progress.advance(task)
    if best_state is not None:
        model.load_state_dict(best_state)
    epochs = config.steps * config.batch_size / len(train_features)
    if is_multi_hot(train_labels):
        return TrainResult(config.steps, round(epochs, 2), best_step, None, best[0] if has_val else None)
    return TrainResult(config.steps, round(epochs, 2), best_step, best[0] if has_val else None)
