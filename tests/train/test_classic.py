import numpy as np
import pytest
import torch

from synthio.specaugment import SpecAugment
from synthio.train.classic import CLASSIC_METHODS, AudiomentationsChain, GaussianNoise, PitchShift, augmented_copies, get_method, seeded_global_rng
from tests.conftest import tone


def test_noise_hits_the_requested_snr():
    x = tone(440, 1.0)
    y = GaussianNoise(min_snr_db=20.0, max_snr_db=20.0)(x, 16000, seed=3)
    snr = 10 * np.log10(np.mean(x.astype(np.float64) ** 2) / np.mean((y - x).astype(np.float64) ** 2))
    assert snr == pytest.approx(20.0, abs=0.3)


@pytest.mark.parametrize("augmentation", [GaussianNoise(), PitchShift(), AudiomentationsChain()])
def test_waveform_augmentations_are_seeded_and_keep_length(augmentation):
    x = tone(440, 0.5)
    a, b, c = augmentation(x, 16000, 1), augmentation(x, 16000, 1), augmentation(x, 16000, 2)
    assert a.shape == x.shape and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_pitch_shift_moves_the_peak():
    x = tone(1000, 1.0)
    y = PitchShift(min_semitones=12, max_semitones=12)(x, 16000, 0)
    peak = np.argmax(np.abs(np.fft.rfft(y))) * 16000 / len(y)
    assert peak == pytest.approx(2000, rel=0.03)


def test_global_rng_is_restored():
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)
    with seeded_global_rng(123):
        np.random.rand()
    assert np.random.rand() == expected


def test_spec_augment_masks_bands_with_zero():
    features = torch.ones(4, 50, 20)
    out = SpecAugment(time_masks=1, max_time_fraction=0.2, freq_masks=1, max_freq_bins=5)(features, torch.Generator().manual_seed(0))
    assert out.shape == features.shape
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    assert (out == 0).any()
    assert (out == 0).float().mean() < 0.5


def test_methods_registry_and_copies():
    assert list(CLASSIC_METHODS) == ["gold", "noise", "pitch", "specaug", "audiomentations"]
    assert get_method("gold").waveform is None and get_method("gold").spec_augment is None
    with pytest.raises(ValueError, match="choose from"):
        get_method("mixup")
    copies = augmented_copies(tone(300), 16000, GaussianNoise(), 3, seed=7)
    assert len(copies) == 3 and not np.array_equal(copies[0], copies[1])
