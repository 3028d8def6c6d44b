import copy

import numpy as np
import pytest
import torch

from synthio.specaugment import SpecAugment
from synthio.train.classifiers import CNNClassifier
from synthio.train.trainer import TrainConfig, accuracy, macro_f1, predict_logits, train_classifier


def test_metrics_exact_values():
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0])
    assert accuracy(y_true, y_pred) == pytest.approx(0.6)
    # F1: class0 = 2*1/(2+1+1)=0.5, class1 = 2*2/(4+1+0)=0.8, class2 = 0
    assert macro_f1(y_true, y_pred) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    with pytest.raises(ValueError):
        accuracy(np.array([]), np.array([]))


def separable_data(n_per_class=12, seed=0):
    rng = torch.Generator().manual_seed(seed)
    x = torch.randn(3 * n_per_class, 16, 40, generator=rng)
    y = torch.arange(3).repeat_interleave(n_per_class)
    for c in range(3):
        x[y == c, :, c * 10 : c * 10 + 8] += 3.0
    return x, y


def test_trainer_learns_a_separable_problem_and_is_deterministic():
    x, y = separable_data()
    results = []
    for _ in range(2):
        torch.manual_seed(0)
        model = CNNClassifier(["a", "b", "c"], channels=(8, 16))
        result = train_classifier(model, x, y, x[:9], y[:9], TrainConfig(steps=30, batch_size=12, eval_every=10), SpecAugment())
        logits = predict_logits(model, x)
        results.append(logits)
    assert accuracy(y.numpy(), results[0].argmax(1).numpy()) > 0.9
    assert torch.equal(results[0], results[1])
    assert result.epochs == pytest.approx(30 * 12 / 36) and result.val_accuracy is not None


def test_trainer_without_validation_keeps_last_and_checks_shapes():
    x, y = separable_data(4)
    model = CNNClassifier(["a", "b", "c"], channels=(8,))
    result = train_classifier(model, x, y, None, None, TrainConfig(steps=3, batch_size=64))
    assert result.val_accuracy is None and result.best_step == 3
    with pytest.raises(ValueError, match="labels"):
        train_classifier(model, x, y[:-1], None, None)


def test_the_start_competes_for_the_best_checkpoint_only_when_the_model_starts_trained():
    x, y = separable_data(4)
    wrong = (y + 1) % 3
    torch.manual_seed(0)
    model = CNNClassifier(["a", "b", "c"], channels=(8, 16))
    train_classifier(model, x, y, None, None, TrainConfig(steps=30, batch_size=12))
    start = copy.deepcopy(model.state_dict())
    assert accuracy(y.numpy(), predict_logits(model, x).argmax(1).numpy()) > 0.9
    config = TrainConfig(steps=30, batch_size=12, eval_every=10)
    result = train_classifier(model, x, wrong, x, y, config, fit_normalization=False)
    assert not CNNClassifier.starts_trained and result.best_step in (10, 20, 30) and result.val_accuracy < 0.9
    model.load_state_dict(start)
    result = train_classifier(model, x, wrong, x, y, config, fit_normalization=False, start_is_candidate=True)
    assert result.best_step == 0 and result.val_accuracy > 0.9 and all(torch.equal(start[k], v) for k, v in model.state_dict().items())
