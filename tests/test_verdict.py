"""The augment verdict, both ways: random-labelled noise is reported as harmful, real held-back clips as helpful."""

import numpy as np

from synthio.dataset import Clip
from synthio.verdict import held_out_parts, synthetic_verdict

SAMPLE_RATE = 16000
SECONDS = 0.3
BANDS = {"low": (100, 500), "mid": (1000, 2000), "high": (4000, 7000)}
RANGES = {"a": (300.0, 600.0), "b": (700.0, 1400.0), "c": (1600.0, 3200.0)}


def band_noise(rng: np.random.Generator, low_hz: float, high_hz: float) -> np.ndarray:
    n = int(SAMPLE_RATE * SECONDS)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    frequencies = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spectrum[(frequencies < low_hz) | (frequencies > high_hz)] = 0
    x = np.fft.irfft(spectrum, n)
    return (0.3 * x / np.abs(x).max()).astype(np.float32)


def noisy_tone(rng: np.random.Generator, hz: float) -> np.ndarray:
    t = np.arange(int(SAMPLE_RATE * SECONDS)) / SAMPLE_RATE
    return (0.2 * np.sin(2 * np.pi * hz * t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


def clip(name: str, label: str, samples: np.ndarray, parent: str | None = None) -> Clip:
    return Clip(name, label, samples, SAMPLE_RATE, meta={"parent_file": parent} if parent else {})


def test_noise_labelled_at_random_is_reported_as_harmful():
    rng = np.random.default_rng(0)
    pool = [clip(f"{label}_{i}.wav", label, band_noise(rng, *BANDS[label])) for label in BANDS for i in range(8)]
    few_shot = [i for i in range(len(pool)) if i % 8 < 2]
    names = list(BANDS)
    noise = [clip(f"s{k}.wav", names[rng.integers(3)], band_noise(rng, *BANDS[names[rng.integers(3)]]), parent=pool[few_shot[k % 6]].file_name) for k in range(60)]
    verdict = synthetic_verdict(pool, few_shot, noise, seeds=[0, 1, 2], steps=60, batch_size=16, device="cpu")
    assert verdict["outcome"] == "hurt" and verdict["interval_points"][1] < 0 and "HURT" in verdict["message"]
    assert verdict["mode"] == "pool" and verdict["held_out_clips"] == 18 and all(run["synthetic_rows"] == 60 for run in verdict["runs"])


def test_real_held_back_clips_are_reported_as_helpful():
    """The few-shot clips sit at the bottom of each class's frequency range; held-back real clips cover all of it."""
    rng = np.random.default_rng(0)
    pool = [clip(f"{label}_{i}.wav", label, noisy_tone(rng, low * (high / low) ** (i / 23))) for label, (low, high) in RANGES.items() for i in range(24)]
    few_shot = [0, 24, 48]
    held_back = [clip(f"h{label}{k}.wav", label, noisy_tone(rng, low * (high / low) ** rng.uniform())) for label, (low, high) in RANGES.items() for k in range(24)]
    verdict = synthetic_verdict(pool, few_shot, held_back, seeds=[0, 1, 2, 3, 4], steps=60, batch_size=16, device="cpu")
    assert verdict["outcome"] == "helped" and verdict["interval_points"][0] > 0, verdict


def test_without_a_pool_beyond_the_split_a_fifth_of_the_few_shot_clips_is_held_out_with_its_children():
    labels = ["a"] * 5 + ["b"] * 5 + ["c"]
    train, held, mode = held_out_parts(labels, list(range(11)), seed=0)
    assert mode == "cross-validation" and sorted(train + held) == list(range(11))
    assert sorted(labels[i] for i in held) == ["a", "b"] and 10 not in held
    assert held_out_parts(labels, list(range(11)), seed=0) == (train, held, mode)
    pool_train, pool_held, pool_mode = held_out_parts(labels, [0, 5, 10], seed=3)
    assert (pool_train, pool_held, pool_mode) == ([0, 5, 10], [1, 2, 3, 4, 6, 7, 8, 9], "pool")
    recordings = ["r0", "r0", "r1", "r1", "r1", "r2", "r3", "r3", "r3", "r3", "r4"]
    assert held_out_parts(labels, [0, 5, 10], seed=3, groups=recordings)[1] == [2, 3, 4, 6, 7, 8, 9]
