"""Acoustic descriptors computed from a waveform, and the words they turn into.

Each descriptor is a number with a unit in its name, measured on 16 kHz mono audio with 32 ms
frames (16 ms hop). Words come from fixed thresholds, listed in ``describe``: a caption says
"loud" only when the clip's RMS level is above -20 dBFS, and so on. Thresholds were chosen by
ear on everyday recordings; they are descriptive, not calibrated measurements.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from synthio.audio import resample

ANALYSIS_RATE = 16000
FRAME = 512
HOP = 256


@dataclass(frozen=True)
class Descriptors:
    """Numbers behind a descriptive caption."""

    level_dbfs: float
    """RMS level of the whole clip, dB relative to full scale."""
    centroid_hz: float
    """Energy-weighted mean frequency over active frames (brightness)."""
    pitch_hz: float | None
    """Median autocorrelation pitch (60-2000 Hz) of clearly periodic frames; None when under a quarter of frames are."""
    onsets_per_second: float
    """Level rises of more than 9 dB within 48 ms, per second (rhythm / event density)."""
    level_range_db: float
    """90th minus 10th percentile of frame levels: small = steady, large = intermittent."""
    background_dbfs: float
    """10th percentile of frame levels: the floor the sound sits on."""
    decay_db_per_second: float
    """Median slope of the level after each onset peak; slow decay suggests reverberation."""

    def as_dict(self) -> dict:
        return asdict(self)


def _frames(samples: np.ndarray) -> np.ndarray:
    if len(samples) < FRAME:
        samples = np.pad(samples, (0, FRAME - len(samples)))
    count = 1 + (len(samples) - FRAME) // HOP
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    return samples[index]


def _db(x: np.ndarray | float) -> np.ndarray:
    return 20.0 * np.log10(np.maximum(x, 1e-10))


def compute_descriptors(samples: np.ndarray, sample_rate: int) -> Descriptors:
    """Measure a mono clip (resampled to 16 kHz for analysis)."""
    if samples.ndim != 1 or len(samples) == 0:
        raise ValueError(f"compute_descriptors expects a non-empty mono waveform, got shape {samples.shape}")
    x = resample(samples.astype(np.float32), sample_rate, ANALYSIS_RATE).astype(np.float64)
    frames = _frames(x)
    frame_rms = np.sqrt(np.mean(frames**2, axis=1))
    frame_db = _db(frame_rms)
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(FRAME), axis=1))
    freqs = np.fft.rfftfreq(FRAME, 1 / ANALYSIS_RATE)
    active = frame_db > max(frame_db.max() - 30.0, -80.0)
    power = spectrum[active] ** 2
    centroid = float((power * freqs).sum() / max(power.sum(), 1e-20))

    pitches = []
    low, high = ANALYSIS_RATE // 2000, ANALYSIS_RATE // 60
    taper = FRAME / (FRAME - np.arange(high + 2))
    for frame in frames[active]:
        frame = frame - frame.mean()
        ac = np.correlate(frame, frame, "full")[FRAME - 1 : FRAME + high + 1]
        if ac[0] <= 0:
            continue
        ac = ac / ac[0] * taper
        below_zero = np.flatnonzero(ac[: high] < 0)
        if len(below_zero) == 0:
            continue
        start = max(low, int(below_zero[0]))
        window = ac[start:high]
        best = window.max()
        candidates = np.flatnonzero((window[1:-1] >= 0.9 * best) & (window[1:-1] >= window[:-2]) & (window[1:-1] >= window[2:]))
        lag = start + 1 + int(candidates[0]) if len(candidates) else start + int(np.argmax(window))
        if ac[lag] > 0.6 and 0 < lag < high:
            a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
            shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
            pitches.append(ANALYSIS_RATE / (lag + shift))
    pitch = float(np.median(pitches)) if len(pitches) >= max(1, 0.25 * active.sum()) else None

    peaks = []
    for i in range(3, len(frame_db)):
        rise = frame_db[i] - frame_db[i - 3 : i].min()
        if rise > 9.0 and active[i] and (not peaks or i - peaks[-1] > 3):
            peaks.append(i)
    seconds = len(x) / ANALYSIS_RATE

    slopes = []
    frame_seconds = HOP / ANALYSIS_RATE
    for p in peaks:
        start = p + int(np.argmax(frame_db[p : p + 4])) if p + 4 < len(frame_db) else None
        if start is None or start + 6 > len(frame_db):
            continue
        tail = frame_db[start : start + 12]
        slopes.append(np.polyfit(np.arange(len(tail)) * frame_seconds, tail, 1)[0])

    return Descriptors(
        level_dbfs=float(_db(np.sqrt(np.mean(x**2)))),
        centroid_hz=centroid,
        pitch_hz=pitch,
        onsets_per_second=len(peaks) / seconds,
        level_range_db=float(np.percentile(frame_db, 90) - np.percentile(frame_db, 10)),
        background_dbfs=float(np.percentile(frame_db, 10)),
        decay_db_per_second=float(np.median(slopes)) if slopes else 0.0,
    )


def describe(d: Descriptors) -> list[str]:
    """Descriptive phrases, in caption order (loudness, brightness, pitch, rhythm, stationarity, background, space)."""
    words = []
    if d.level_dbfs > -20:
        words.append("loud")
    elif d.level_dbfs < -40:
        words.append("faint")
    if d.centroid_hz > 3000:
        words.append("bright")
    elif d.centroid_hz < 800:
        words.append("muffled")
    if d.pitch_hz is not None:
        words.append("low-pitched" if d.pitch_hz < 250 else "high-pitched" if d.pitch_hz > 1000 else "mid-pitched")
    phrases = [", ".join(words)] if words else []
    if d.onsets_per_second >= 4:
        phrases.append("with rapid repeated hits")
    elif d.onsets_per_second >= 1:
        phrases.append("with a few distinct onsets")
    if d.level_range_db < 6:
        phrases.append("steady")
    elif d.level_range_db > 25:
        phrases.append("intermittent")
    if d.background_dbfs > -35 and d.level_range_db < 15:
        phrases.append("over a noisy background")
    elif d.background_dbfs < -60:
        phrases.append("in silence")
    if d.onsets_per_second >= 0.5 and -40 < d.decay_db_per_second < -5:
        phrases.append("in a reverberant space")
    return phrases


def descriptive_caption(label: str, samples: np.ndarray, sample_rate: int) -> str:
    """Weak label text enriched with descriptors, e.g. ``"Sound of a dog bark: loud, bright, with a few distinct onsets"``."""
    readable = label.replace("_", " ")
    article = "an" if readable[:1].lower() in "aeiou" else "a"
    phrases = describe(compute_descriptors(samples, sample_rate))
    return f"Sound of {article} {readable}" + (": " + ", ".join(phrases) if phrases else "")
