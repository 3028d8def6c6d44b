import numpy as np
import pytest

from synthio.caption.descriptors import Descriptors, compute_descriptors, describe, descriptive_caption

SR = 16000
T = np.arange(SR * 2) / SR


def test_loud_and_faint():
    loud = compute_descriptors((0.5 * np.sin(2 * np.pi * 440 * T)).astype(np.float32), SR)
    faint = compute_descriptors((0.005 * np.sin(2 * np.pi * 440 * T)).astype(np.float32), SR)
    assert loud.level_dbfs == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)
    assert "loud" in describe(loud)[0] and "faint" in describe(faint)[0]


def test_pitch_and_brightness_of_tones():
    low = compute_descriptors((0.3 * np.sin(2 * np.pi * 110 * T)).astype(np.float32), SR)
    high = compute_descriptors((0.3 * np.sin(2 * np.pi * 1500 * T)).astype(np.float32), SR)
    assert low.pitch_hz == pytest.approx(110, rel=0.03) and high.pitch_hz == pytest.approx(1500, rel=0.05)
    assert "low-pitched" in describe(low)[0] and "muffled" in describe(low)[0]
    noise = compute_descriptors((0.1 * np.random.default_rng(0).standard_normal(len(T))).astype(np.float32), SR)
    assert noise.pitch_hz is None and noise.centroid_hz > 3000 and "bright" in describe(noise)[0]


def test_clicks_count_as_onsets_and_steady_tone_does_not():
    clicks = np.zeros(len(T), np.float32)
    clicks[:: SR // 5] = 0.9
    clicks = np.convolve(clicks, np.exp(-np.arange(400) / 60), "same").astype(np.float32)
    d = compute_descriptors(clicks, SR)
    assert d.onsets_per_second == pytest.approx(5, abs=1)
    assert any("hits" in p for p in describe(d))
    steady = compute_descriptors((0.3 * np.sin(2 * np.pi * 300 * T)).astype(np.float32), SR)
    assert steady.onsets_per_second < 1 and "steady" in describe(steady)


def test_caption_text_and_errors():
    x = (0.3 * np.sin(2 * np.pi * 300 * T)).astype(np.float32)
    assert descriptive_caption("air_conditioner", x, SR).startswith("Sound of an air conditioner: ")
    assert descriptive_caption("dog_bark", x, SR).startswith("Sound of a dog bark")
    with pytest.raises(ValueError, match="mono"):
        compute_descriptors(np.zeros((2, 100), np.float32), SR)
    quiet = Descriptors(-30, 1500, None, 0.0, 10, -50, 0.0)
    assert describe(quiet) == []
