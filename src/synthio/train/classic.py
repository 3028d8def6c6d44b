"""Classic augmentation baselines (paper Table 1): gold, noise, pitch, specaug, audiomentations.

A method has two optional parts. ``waveform`` makes ``copies`` extra training rows per real clip
before training (seeded per copy, like synthetic rows, so every method adds the same number of
rows and costs nothing per step). ``spec_augment`` masks time and frequency bands of each batch
on the fly. ``gold`` has neither.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from synthio.specaugment import SpecAugment

WaveformAugmentation = Callable[[np.ndarray, int, int], np.ndarray]
"""``(samples, sample_rate, seed) -> samples`` of the same length."""


@contextmanager
def seeded_global_rng(seed: int) -> Iterator[None]:
    """Seed Python's and NumPy's global generators (audiomentations draws from them), then restore them."""
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


@dataclass(frozen=True)
class GaussianNoise:
    """Add white noise at an SNR drawn uniformly from ``[min_snr_db, max_snr_db]`` relative to the clip's RMS."""

    min_snr_db: float = 10.0
    max_snr_db: float = 30.0

    def __call__(self, samples: np.ndarray, sample_rate: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        snr_db = rng.uniform(self.min_snr_db, self.max_snr_db)
        rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
        noise_rms = rms / (10.0 ** (snr_db / 20.0))
        return (samples + rng.standard_normal(len(samples)) * noise_rms).astype(np.float32)


@dataclass(frozen=True)
class PitchShift:
    """Shift pitch by a uniform number of semitones in ``[min_semitones, max_semitones]``, duration kept."""

    min_semitones: float = -4.0
    max_semitones: float = 4.0

    def __call__(self, samples: np.ndarray, sample_rate: int, seed: int) -> np.ndarray:
        import audiomentations

        transform = audiomentations.PitchShift(min_semitones=self.min_semitones, max_semitones=self.max_semitones, p=1.0)
        with seeded_global_rng(seed):
            return transform(samples=samples.astype(np.float32), sample_rate=sample_rate).astype(np.float32)


@dataclass(frozen=True)
class AudiomentationsChain:
    """A Compose chain from audiomentations: noise, time stretch, pitch shift, time shift, gain (each p = 0.5)."""

    def __call__(self, samples: np.ndarray, sample_rate: int, seed: int) -> np.ndarray:
        import audiomentations as A

        chain = A.Compose(
            [
                A.AddGaussianSNR(min_snr_db=10.0, max_snr_db=30.0, p=0.5),
                A.TimeStretch(min_rate=0.8, max_rate=1.25, leave_length_unchanged=True, p=0.5),
                A.PitchShift(min_semitones=-4.0, max_semitones=4.0, p=0.5),
                A.Shift(min_shift=-0.25, max_shift=0.25, p=0.5),
                A.Gain(min_gain_db=-6.0, max_gain_db=6.0, p=0.5),
            ]
        )
        with seeded_global_rng(seed):
            out = chain(samples=samples.astype(np.float32), sample_rate=sample_rate)
        return np.asarray(out, dtype=np.float32)


@dataclass(frozen=True)
class Method:
    """A training-time augmentation method: extra rows from ``waveform`` and/or online ``spec_augment``."""

    name: str
    waveform: WaveformAugmentation | None = None
    spec_augment: SpecAugment | None = None


CLASSIC_METHODS: dict[str, Method] = {
    "gold": Method("gold"),
    "noise": Method("noise", waveform=GaussianNoise()),
    "pitch": Method("pitch", waveform=PitchShift()),
    "specaug": Method("specaug", spec_augment=SpecAugment()),
    "audiomentations": Method("audiomentations", waveform=AudiomentationsChain()),
}


def get_method(name: str) -> Method:
    """Look up a classic method by name, with the list of names on error."""
    try:
        return CLASSIC_METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(CLASSIC_METHODS)}") from None


def augmented_copies(samples: np.ndarray, sample_rate: int, augmentation: WaveformAugmentation, copies: int, seed: int) -> list[np.ndarray]:
    """``copies`` augmented versions of one clip, copy ``k`` seeded with ``seed * 1000 + k``."""
    return [augmentation(samples, sample_rate, seed * 1000 + k) for k in range(copies)]
