"""One trainer for every classifier: cross-entropy, AdamW, a fixed step budget, best-on-validation.

The budget is a number of optimiser steps, not epochs, so a method that adds rows (augmented
copies, synthetic clips) gets the same compute as gold-only; ``epochs`` in the result is derived
from it. The checkpoint kept is the one with the best validation accuracy (ties: lower loss),
evaluated before training and every ``eval_every`` steps; the test part is never seen here.
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


def _evaluate(model, features: torch.Tensor, labels: torch.Tensor, device: str) -> tuple[float, float]:
    logits = predict_logits(model, features, device=device)
    loss = F.cross_entropy(logits, labels).item()
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
) -> TrainResult:
    """Train in place and load the best-on-validation weights into ``model``."""
    if len(train_features) != len(train_labels):
        raise ValueError(f"{len(train_features)} feature rows but {len(train_labels)} labels")
    if len(train_features) == 0:
        raise ValueError("no training rows")
    device = torch.device(resolve_device(config.device))
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
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
    if has_val:
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
                loss = F.cross_entropy(model(x).float(), train_labels[index].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            if has_val and (step % config.eval_every == 0 or step == config.steps):
                val_acc, val_loss = _evaluate(model, val_features, val_labels, config.device)
                if (val_acc, -val_loss) > (best[0], -best[1]):
                    best, best_step = (val_acc, val_loss), step
                    best_state = copy.deepcopy(model.state_dict())
                progress.update(task, status=f"loss {loss.item():.3f} val acc {val_acc:.3f} (best {best[0]:.3f} @ {best_step})")
            progress.advance(task)
    if best_state is not None:
        model.load_state_dict(best_state)
    epochs = config.steps * config.batch_size / len(train_features)
    return TrainResult(config.steps, round(epochs, 2), best_step, best[0] if has_val else None)
