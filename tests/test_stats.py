import numpy as np
import pytest
from scipy import stats as scipy_stats

from synthio.stats import mean_interval, paired_bootstrap, paired_t_interval


def test_mean_interval_is_the_student_t_interval():
    interval = mean_interval([1.0, 2.0, 3.0])
    half = scipy_stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)
    assert (interval.estimate, interval.count) == (2.0, 3)
    assert interval.low == pytest.approx(2.0 - half, abs=1e-12) and interval.high == pytest.approx(2.0 + half, abs=1e-12)


def test_one_value_has_no_interval():
    interval = mean_interval([0.4])
    assert interval.estimate == 0.4 and np.isnan(interval.low) and not interval.excludes_zero


def test_identical_methods_differ_by_exactly_zero():
    correct = [np.array([1, 0, 1, 1, 0]), np.array([0, 0, 1, 1, 1])]
    interval = paired_bootstrap(correct, correct)
    assert (interval.estimate, interval.low, interval.high) == (0.0, 0.0, 0.0) and not interval.excludes_zero


def test_always_right_against_always_wrong_is_exactly_one():
    interval = paired_bootstrap([np.ones(20), np.ones(20)], [np.zeros(20), np.zeros(20)])
    assert (interval.estimate, interval.low, interval.high) == (1.0, 1.0, 1.0) and interval.excludes_zero


def test_a_consistent_gain_excludes_zero_and_a_coin_flip_does_not():
    b = np.zeros(200)
    b[:100] = 1
    a = b.copy()
    a[100:160] = 1
    gain = paired_bootstrap([a, a, a], [b, b, b])
    assert gain.estimate == pytest.approx(0.3) and 0.2 < gain.low < 0.3 < gain.high < 0.4
    flips = np.tile([1, 0], 100)
    none = paired_bootstrap([flips, 1 - flips], [1 - flips, flips])
    assert none.estimate == 0.0 and none.low < 0 < none.high


def test_the_bootstrap_is_deterministic_and_refuses_unpaired_input():
    rng = np.random.default_rng(3)
    a, b = [rng.integers(0, 2, 50) for _ in range(3)], [rng.integers(0, 2, 50) for _ in range(3)]
    assert paired_bootstrap(a, b) == paired_bootstrap(a, b)
    with pytest.raises(ValueError, match="same seeds"):
        paired_bootstrap(a, b[:2])
    with pytest.raises(ValueError, match="same, non-empty test part"):
        paired_bootstrap([np.ones(3)], [np.ones(4)])


def test_repeating_one_seed_adds_no_information():
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    once, five = paired_bootstrap([a], [b]), paired_bootstrap([a] * 5, [b] * 5)
    assert once.estimate == five.estimate
    assert five.high - five.low > 0.9 * (once.high - once.low)


def test_seeds_with_their_own_clips_are_resampled_within_each_seed():
    a, b = [np.ones(10), np.ones(12)], [np.zeros(10), np.zeros(12)]
    with pytest.raises(ValueError, match="same test clips"):
        paired_bootstrap(a, b)
    interval = paired_bootstrap(a, b, shared_clips=False)
    assert (interval.estimate, interval.low, interval.high) == (1.0, 1.0, 1.0)


def test_paired_t_interval_is_the_t_interval_of_the_differences():
    interval = paired_t_interval([0.5, 0.7, 0.9], [0.4, 0.5, 0.6])
    expected = mean_interval([0.1, 0.2, 0.3])
    assert interval.estimate == pytest.approx(0.2) and interval.low == pytest.approx(expected.low) and interval.high == pytest.approx(expected.high)
    assert np.isnan(paired_t_interval([0.5], [0.4]).low)
