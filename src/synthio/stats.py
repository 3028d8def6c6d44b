"""Confidence intervals for few-shot results: a Student-t interval for a method's mean over seeds, and a paired two-level bootstrap for the difference between two methods.

Why two levels: a few-shot result varies with the split (the seed) and with the test clips it
happens to be measured on. A percentile bootstrap of 3–5 seeds alone is far too narrow (five
values have 5^5 resamples, and a single seed gives a zero-width interval); resampling the test
clips as well adds the second source. Both methods are resampled with the same seeds and the
same clips, so the interval is for the paired difference, which is much tighter than the two
methods' separate intervals suggest. Metrics with no per-clip terms (macro-F1, mAP) get a paired
t interval over seeds instead. Pitfall: with a single seed the bootstrap covers test-clip noise
only, not split-to-split variation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

CONFIDENCE = 0.95
RESAMPLES = 2000


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval (``low``/``high`` are NaN where none can be given)."""

    estimate: float
    low: float
    high: float
    count: int

    @property
    def excludes_zero(self) -> bool:
        return bool(self.low > 0 or self.high < 0)

    def scaled(self, factor: float) -> Interval:
        return Interval(self.estimate * factor, self.low * factor, self.high * factor, self.count)


def mean_interval(values: list[float] | np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Mean ± t_{(1+c)/2, k-1} · s / sqrt(k) over ``k`` seeds (no interval for one value)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        raise ValueError("no values")
    mean = float(values.mean())
    if len(values) == 1:
        return Interval(mean, float("nan"), float("nan"), 1)
    half = float(scipy_stats.t.ppf((1 + confidence) / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return Interval(mean, mean - half, mean + half, len(values))


def paired_bootstrap(correct_a: list[np.ndarray], correct_b: list[np.ndarray], shared_clips: bool = True, confidence: float = CONFIDENCE, resamples: int = RESAMPLES, seed: int = 0) -> Interval:
    """Mean over seeds of accuracy(a) − accuracy(b), with a percentile bootstrap over seeds and test clips (the same draws for both methods).

    ``correct_a[s]`` is the 0/1 vector of method a's correct predictions in seed ``s``; the two lists
    are aligned by seed and each pair covers the same clips. ``shared_clips``: every seed was tested
    on the same clips (``synthio evaluate``), so each replicate draws one resample of the clips for
    all its seeds — drawing them anew per seed would treat one test part as several and shrink the
    interval with the number of seeds. Otherwise (each seed has its own held-out clips) clips are
    resampled within each drawn seed.
    """
    if len(correct_a) != len(correct_b) or not correct_a:
        raise ValueError(f"{len(correct_a)} and {len(correct_b)} seeds: the paired bootstrap needs the same seeds, at least one")
    differences = []
    for a, b in zip(correct_a, correct_b):
        if len(a) != len(b) or len(a) == 0:
            raise ValueError(f"a seed's runs cover {len(a)} and {len(b)} test clips: they must be the same, non-empty test part")
        differences.append(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))
    observed = float(np.mean([d.mean() for d in differences]))
    rng = np.random.default_rng(seed)
    k = len(differences)
    draws = np.empty(resamples)
    if shared_clips:
        if len({len(d) for d in differences}) != 1:
            raise ValueError("shared_clips: every seed must cover the same test clips")
        matrix = np.stack(differences)
        for r in range(resamples):
            draws[r] = matrix[rng.integers(0, k, size=k)][:, rng.integers(0, matrix.shape[1], size=matrix.shape[1])].mean()
    else:
        for r in range(resamples):
            draws[r] = np.mean([differences[s][rng.integers(0, len(differences[s]), size=len(differences[s]))].mean() for s in rng.integers(0, k, size=k)])
    low, high = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Interval(observed, float(low), float(high), k)


def paired_t_interval(values_a: list[float], values_b: list[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean of the per-seed differences a − b with its Student-t interval (for metrics without per-clip terms, e.g. macro-F1 or mAP; none for one seed)."""
    if len(values_a) != len(values_b) or not values_a:
        raise ValueError(f"{len(values_a)} and {len(values_b)} seeds: a paired interval needs the same seeds, at least one")
    return mean_interval(np.asarray(values_a, dtype=float) - np.asarray(values_b, dtype=float), confidence)
