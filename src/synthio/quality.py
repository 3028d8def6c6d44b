"""Data checks of a synthetic set against the real few-shot clips: memorisation, diversity, fidelity.

Pure functions over numpy arrays (``synthio.listening`` loads the clips, embeds them with the
configured CLAP and writes ``OUT/quality.json``); docs/report.md says how to read each number.

- Memorisation: for every synthetic clip, its nearest reference clip (a real few-shot clip, or a
  corpus clip) by CLAP-embedding cosine and by log-mel correlation, both computed after fitting
  every clip to one common length. A pair is flagged when it reaches *both* thresholds
  (``CLAP_COSINE_THRESHOLD`` and ``MEL_CORRELATION_THRESHOLD``). Why both: a CLAP is semantic,
  so any two clips of one kind of sound sit close (the embedded tiny CLAP gives two independent
  white noises a cosine of 0.9997); the log-mel correlation is computed on each mel band's
  deviation from its own mean over time, so it is high only when the same events happen at the
  same moments in the same bands, which is what a copy does and an independent clip does not.
- Diversity: the Vendi score (Friedman & Dieng 2023) of a set of embeddings, the exponential of
  the entropy of the eigenvalues of ``K / n`` for the cosine-similarity kernel ``K``: 1 for n
  identical clips, n for n mutually orthogonal ones; an "effective number of distinct clips".
- Fidelity: the Fréchet distance (``synthio.clap.frechet``) and KAD, the kernel audio distance
  (Chung et al. 2025): the unbiased MMD² between two embedding sets with the Gaussian kernel
  ``exp(-|x - y|² / (2 σ²))``, σ = the median pairwise distance of the pooled set.
"""

from __future__ import annotations

import numpy as np
import torch

from synthio.audio import LogMel, fit_duration
from synthio.clap.frechet import frechet_distance

CLAP_COSINE_THRESHOLD = 0.9
"""A synthetic clip may be a copy of a reference clip only if their CLAP embeddings have at least this cosine."""
MEL_CORRELATION_THRESHOLD = 0.8
"""... and their time-centred log-mel spectrograms at least this correlation (1 = the same clip up to gain; see ``mel_correlation_matrix``)."""
MEL_SAMPLE_RATE = 16000
MEL_N_FFT = 1024
MEL_HOP = 256
MEL_BANDS = 64
MEL_TOP_DB = 80.0
"""Log-mel values are floored at the clip's maximum minus this many dB, so near-silence does not dominate."""
MEL_EDGE_FRAMES = 2
"""Frames dropped at each end: the STFT's reflect padding gives every clip a similar pattern there."""
MEL_MAX_LAG_FRAMES = 6
"""The correlation is the best over time shifts of up to this many frames either way (6 x 16 ms: about 0.1 s)."""
MIN_COMPARE_SECONDS = 0.25
MAX_COMPARE_SECONDS = 10.0


def common_length(num_samples: list[int], sample_rate: int) -> int:
    """The median of ``num_samples``, clamped to [MIN_COMPARE_SECONDS, MAX_COMPARE_SECONDS] at ``sample_rate``."""
    if not num_samples:
        raise ValueError("no clips to compare")
    low, high = round(MIN_COMPARE_SECONDS * sample_rate), round(MAX_COMPARE_SECONDS * sample_rate)
    return int(min(max(round(float(np.median(num_samples))), low), high))


def fit_all(waveforms: list[np.ndarray], num_samples: int) -> np.ndarray:
    """``(N, num_samples)``: each mono clip centre-cropped or looped (never zero-padded) to ``num_samples``."""
    return np.stack([fit_duration(np.asarray(w, np.float32), num_samples, "loop", offset=max(0, (len(w) - num_samples) // 2)) for w in waveforms])


def mel_features(waveforms: np.ndarray, sample_rate: int = MEL_SAMPLE_RATE) -> np.ndarray:
    """``(N, frames, bands)`` log-mels of equal-length clips: dB floored at max - MEL_TOP_DB, edge frames dropped, each band minus its time mean, each clip scaled to unit norm."""
    waveforms = np.asarray(waveforms, np.float32)
    if waveforms.ndim != 2:
        raise ValueError(f"mel_features expects (N, num_samples) clips of one length, got shape {waveforms.shape}")
    logmel = LogMel(sample_rate, MEL_N_FFT, MEL_HOP, MEL_BANDS)(torch.from_numpy(waveforms)).numpy().astype(np.float64)
    db = logmel * (10.0 / np.log(10.0))
    db = np.maximum(db, db.max(axis=(1, 2), keepdims=True) - MEL_TOP_DB)
    if db.shape[1] > 2 * MEL_EDGE_FRAMES + 1:
        db = db[:, MEL_EDGE_FRAMES:-MEL_EDGE_FRAMES]
    db = db - db.mean(axis=1, keepdims=True)
    norms = np.sqrt((db * db).sum(axis=(1, 2), keepdims=True))
    return (db / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(n, m)`` cosine similarities between the rows of ``a`` and ``b`` (a zero row has cosine 0 to everything)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    na, nb = np.linalg.norm(a, axis=1, keepdims=True), np.linalg.norm(b, axis=1, keepdims=True)
    return (a / np.where(na > 0, na, 1.0)) @ (b / np.where(nb > 0, nb, 1.0)).T


def mel_correlation_matrix(a: np.ndarray, b: np.ndarray, max_lag: int = MEL_MAX_LAG_FRAMES) -> np.ndarray:
    """``(n, m)`` best correlation over circular time shifts of at most ``max_lag`` frames between :func:`mel_features` of ``a`` and ``b``."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    if a.ndim != 3 or b.ndim != 3 or a.shape[1:] != b.shape[1:]:
        raise ValueError(f"need two (n, frames, bands) arrays of one clip shape, got {a.shape} and {b.shape}")
    flat = a.reshape(len(a), -1)
    lags = range(-min(max_lag, a.shape[1] - 1), min(max_lag, a.shape[1] - 1) + 1)
    return np.max([flat @ np.roll(b, lag, axis=1).reshape(len(b), -1).T for lag in lags], axis=0).astype(np.float64)


def nearest(cosines: np.ndarray, correlations: np.ndarray, offset: int = 0, cosine_threshold: float = CLAP_COSINE_THRESHOLD, mel_threshold: float = MEL_CORRELATION_THRESHOLD) -> list[dict]:
    """Per row: ``by_cosine``, ``by_mel`` (the nearest column by each measure) and ``flagged`` (the most correlated column reaching both thresholds, or None), as ``{index, cosine, mel_correlation}``."""
    cosines, correlations = np.asarray(cosines, np.float64), np.asarray(correlations, np.float64)
    if cosines.shape != correlations.shape or cosines.ndim != 2:
        raise ValueError(f"need two (n, m) matrices of one shape, got {cosines.shape} and {correlations.shape}")
    if cosines.shape[1] == 0:
        return [{"by_cosine": None, "by_mel": None, "flagged": None} for _ in range(len(cosines))]

    def match(i: int, j: int) -> dict:
        return {"index": int(j) + offset, "cosine": float(cosines[i, j]), "mel_correlation": float(correlations[i, j])}

    both = (cosines >= cosine_threshold) & (correlations >= mel_threshold)
    flagged = np.where(both, correlations, -np.inf).argmax(1)
    return [
        {"by_cosine": match(i, cosines[i].argmax()), "by_mel": match(i, correlations[i].argmax()), "flagged": match(i, flagged[i]) if both[i].any() else None}
        for i in range(len(cosines))
    ]


def merge_nearest(first: list[dict], second: list[dict]) -> list[dict]:
    """Per row, the better match of two ``nearest`` results over different columns (higher cosine, higher correlation, flagged with higher correlation)."""

    def better(a: dict | None, b: dict | None, key: str) -> dict | None:
        return b if a is None or (b is not None and b[key] > a[key]) else a

    return [
        {"by_cosine": better(x["by_cosine"], y["by_cosine"], "cosine"), "by_mel": better(x["by_mel"], y["by_mel"], "mel_correlation"), "flagged": better(x["flagged"], y["flagged"], "mel_correlation")}
        for x, y in zip(first, second, strict=True)
    ]


def vendi_score(embeddings: np.ndarray) -> float:
    """``exp(-sum(l log l))`` over the eigenvalues ``l`` of ``K / n``, ``K`` the cosine-similarity matrix of the ``(n, d)`` rows."""
    x = np.asarray(embeddings, np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"need a non-empty (n, d) array, got shape {x.shape}")
    eigenvalues = np.clip(np.linalg.eigvalsh(cosine_matrix(x, x) / len(x)), 0.0, None)
    eigenvalues = eigenvalues[eigenvalues > 1e-12]
    return float(np.exp(-(eigenvalues * np.log(eigenvalues)).sum()))


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(n, m)`` Euclidean distances between the rows of ``a`` and ``b``."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T
    return np.sqrt(np.clip(squared, 0.0, None))


def median_bandwidth(points: np.ndarray) -> float:
    """The median distance over distinct pairs of rows; the mean non-zero distance if that median is 0; 0 if all rows coincide."""
    distances = pairwise_distances(points, points)[np.triu_indices(len(points), k=1)]
    if distances.size == 0:
        raise ValueError("need at least two points for a bandwidth")
    median = float(np.median(distances))
    if median > 0:
        return median
    positive = distances[distances > 0]
    return float(positive.mean()) if positive.size else 0.0


def kad(x: np.ndarray, y: np.ndarray, bandwidth: float | None = None) -> float:
    """Unbiased MMD² of ``(m, d)`` and ``(n, d)`` sets, Gaussian kernel ``exp(-|a - b|² / (2 σ²))``, σ = ``bandwidth`` or the pooled median distance."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"need two (n, d) arrays with one d, got {x.shape} and {y.shape}")
    if len(x) < 2 or len(y) < 2:
        raise ValueError("need at least two embeddings per set for the unbiased MMD")
    sigma = median_bandwidth(np.concatenate([x, y])) if bandwidth is None else float(bandwidth)
    if sigma <= 0:
        return 0.0

    def kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.exp(-pairwise_distances(a, b) ** 2 / (2 * sigma**2))

    m, n = len(x), len(y)
    kxx, kyy = kernel(x, x), kernel(y, y)
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2 * kernel(x, y).mean())


def set_distances(synthetic: np.ndarray, real: np.ndarray) -> dict:
    """``{n_synthetic, n_real, fd, kad}`` between two embedding sets; a distance is None when a set has fewer than two rows."""
    synthetic, real = np.asarray(synthetic, np.float64), np.asarray(real, np.float64)
    enough = len(synthetic) >= 2 and len(real) >= 2
    return {
        "n_synthetic": int(len(synthetic)),
        "n_real": int(len(real)),
        "fd": frechet_distance(synthetic, real) if enough else None,
        "kad": kad(synthetic, real) if enough else None,
    }


def diversity(embeddings: np.ndarray) -> dict:
    """``{n, vendi}`` of one embedding set (vendi None for an empty set)."""
    embeddings = np.asarray(embeddings, np.float64)
    return {"n": int(len(embeddings)), "vendi": vendi_score(embeddings) if len(embeddings) else None}
