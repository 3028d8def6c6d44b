"""A small offline example dataset: six procedural sound classes with random parameters and background noise.

Good for trying the commands in a minute on a laptop; not a benchmark. Clips are written as
float WAV, with a ``split`` column (``train`` / ``test``) in ``metadata.csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np

from synthio.atomic import write_text_atomic
from synthio.audio import write_audio
from synthio.outdir import claim_output

Synth = Callable[[np.random.Generator, np.ndarray, int], np.ndarray]


def _tone(rng: np.random.Generator, t: np.ndarray, sample_rate: int) -> np.ndarray:
    f0 = rng.uniform(200, 800)
    partials = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.28)) / k for k in range(1, 5))
    return partials * np.exp(-t * rng.uniform(0.5, 2.0))


def _chirp(rng: np.random.Generator, t: np.ndarray, sample_rate: int) -> np.ndarray:
    f_start, f_end = rng.uniform(300, 1000), rng.uniform(2000, 5000)
    if rng.random() < 0.5:
        f_start, f_end = f_end, f_start
    duration = t[-1] + 1 / sample_rate
    phase = 2 * np.pi * (f_start * t + (f_end - f_start) * t**2 / (2 * duration))
    return np.sin(phase)


def _noise_bursts(rng: np.random.Generator, t: np.ndarray, sample_rate: int) -> np.ndarray:
    out = np.zeros_like(t)
    for _ in range(rng.integers(2, 6)):
        start, length = rng.integers(0, len(t)), int(rng.uniform(0.05, 0.25) * sample_rate)
        burst = rng.standard_normal(min(length, len(t) - start)) * np.hanning(min(length, len(t) - start))
        out[start : start + len(burst)] += burst
    return out


def _clicks(rng: np.random.Generator, t: np.ndarray, sample_rate: int) -> np.ndarray:
    out = np.zeros_like(t)
    period = int(sample_rate / rng.uniform(4, 15))
    click = np.exp(-np.arange(int(0.004 * sample_rate)) / (0.0008 * sample_rate)) * rng.choice([-1, 1])
    for start in range(int(rng.integers(0, period)), len(t) - len(click), period):
        out[start : start + len(click)] += click
    return out * 3


def _siren(rng: np.random.Generator, t: np.ndarray, sample_rate: int) -> np.ndarray:
    centre, depth, rate = rng.uniform(600, 1200), rng.uniform(150, 400), rng.uniform(0.5, 3.0)
    frequency = centre + depth * np.sin(2 * np.pi * rate * t)
    return np.sin(2 * np.pi * np.cumsum(frequency) / sample_rate)


def _hum(rng: np.random.Generator, t: np.ndarray, sample_rate: int) -> np.ndarray:
    f0 = rng.uniform(50, 120)
    return sum(np.sin(2 * np.pi * f0 * k * t) * rng.uniform(0.2, 1.0) for k in range(1, 6)) * (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.2, 2) * t))


CLASSES: dict[str, Synth] = {
    "tone": _tone,
    "chirp": _chirp,
    "noise_burst": _noise_bursts,
    "clicks": _clicks,
    "siren": _siren,
    "hum": _hum,
}


def synthesize(label: str, seconds: float, sample_rate: int, seed: int) -> np.ndarray:
    """One clip of class ``label``: the class sound at a random level over random background noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    sound = CLASSES[label](rng, t, sample_rate)
    sound = sound / (np.abs(sound).max() + 1e-9) * rng.uniform(0.2, 0.8)
    background = rng.standard_normal(len(t)) * rng.uniform(0.01, 0.08)
    return np.clip(sound + background, -1, 1).astype(np.float32)


def write_example(out: str | Path, clips_per_class: int = 40, seconds: float = 2.0, sample_rate: int = 16000, seed: int = 0, force: bool = False) -> Path:
    """Write ``out/metadata.csv`` and the clips; ``clips_per_class`` train and half as many test clips per class (``out`` claimed as in ``synthio.outdir``)."""
    settings = {"clips_per_class": clips_per_class, "seconds": seconds, "sample_rate": sample_rate, "seed": seed}
    with claim_output(out, "example", settings, force=force, outputs=("metadata.csv", "train", "test")):
        return _write_clips(Path(out), clips_per_class, seconds, sample_rate, seed)


def _write_clips(out: Path, clips_per_class: int, seconds: float, sample_rate: int, seed: int) -> Path:
    rows = []
    for class_index, label in enumerate(CLASSES):
        for split, count in (("train", clips_per_class), ("test", max(1, clips_per_class // 2))):
            for i in range(count):
                clip_seed = seed * 1_000_003 + class_index * 10_007 + (0 if split == "train" else 5_003) + i
                file_name = f"{split}/{label}_{i:03d}.wav"
                write_audio(out / file_name, synthesize(label, seconds, sample_rate, clip_seed), sample_rate)
                rows.append({"file_name": file_name, "label": label, "split": split})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["file_name", "label", "split"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out / "metadata.csv", buffer.getvalue())
    return out
