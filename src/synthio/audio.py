"""Audio I/O and features: read, mix down, resample, fit to a duration, write, log-mel.

Every function takes the sample rate explicitly; nothing guesses it. Samples are float32
numpy arrays of shape ``(num_samples,)`` (mono) unless a name says otherwise.
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import torch

from synthio.atomic import write_atomic
from synthio.errors import SynthioError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au")


class AudioError(SynthioError, ValueError):
    """A file that cannot be used as audio; ``kind`` is a short machine-readable reason."""

    def __init__(self, path: str | os.PathLike, kind: str, detail: str, fix: str):
        self.path = str(path)
        self.kind = kind
        self.detail = detail
        self.fix = fix
        super().__init__(f"{self.path}: {kind}: {detail} (fix: {fix})")


class AudioWriteError(SynthioError):
    """An audio file that cannot be written (read-only folder, full disk); the message names the file."""


def _wav_declared_data_bytes(path: Path) -> tuple[int, int] | None:
    """For a RIFF/WAVE file, return (data chunk offset, declared data size in bytes)."""
    with open(path, "rb") as f:
        header = f.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"data":
                return f.tell(), size
            f.seek(size + (size & 1), os.SEEK_CUR)


def check_not_truncated(path: str | os.PathLike) -> None:
    """Raise if a WAV file's data chunk is shorter than its header declares.

    libsndfile silently returns the frames that are present, so a WAV cut short by a failed copy
    would otherwise load as a shorter clip without any warning.
    """
    path = Path(path)
    declared = _wav_declared_data_bytes(path)
    if declared is None:
        return
    offset, size = declared
    if size in (0xFFFFFFFF, 0):  # streaming writers leave the size unset
        return
    actual = path.stat().st_size - offset
    if actual < size:
        raise AudioError(
            path,
            "truncated",
            f"header declares {size} bytes of audio but only {actual} are present",
            "re-export or re-copy the file",
        )


SILENT_PEAK = 1e-4
"""Peak amplitude under which a clip counts as silent (−80 dBFS)."""
FULL_SCALE = 0.99
"""Magnitude a clipped sample reaches (8-bit PCM tops out at 127/128 = 0.992)."""
CLIPPED_SHARE = 0.01
"""Share of a channel's samples at full scale from which a clip counts as clipped."""


def level_problem(path: str | os.PathLike) -> str | None:
    """``silent (...)`` or ``clipped (...)`` for a readable file, judged on its own samples channel by channel (a mix-down or resampling hides both); else None."""
    channels = np.abs(sf.read(str(path), dtype="float32", always_2d=True)[0])
    peak = float(channels.max()) if channels.size else 0.0
    if peak < SILENT_PEAK:
        return f"silent (peak {peak:.1e}, under {SILENT_PEAK:g} = -80 dBFS)"
    share = float((channels >= FULL_SCALE).mean(axis=0).max())
    if share >= CLIPPED_SHARE:
        whose = "its" if channels.shape[1] == 1 else "one channel's"
        return f"clipped ({share:.1%} of {whose} samples at full scale)"
    return None


def read_audio(path: str | os.PathLike, sample_rate: int, mono: bool = True) -> np.ndarray:
    """Read any libsndfile format, mix down to mono and resample to ``sample_rate``.

    Raises AudioError for missing, unreadable, truncated, empty or non-finite audio.
    """
    path = Path(path)
    if path.is_dir():
        raise AudioError(path, "not a file", "this is a folder", "name the audio file inside it, or remove the metadata row")
    if not path.is_file():
        raise AudioError(path, "missing", "file does not exist", "add the file or remove its metadata row")
    if path.stat().st_size == 0:
        raise AudioError(path, "empty", "file has 0 bytes", "re-export the file or remove its metadata row")
    check_not_truncated(path)
    try:
        info = sf.info(str(path))
        samples, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as error:
        raise AudioError(path, "unreadable", str(error).strip(), "convert it to WAV/FLAC/OGG with a working encoder") from None
    if samples.shape[0] == 0:
        raise AudioError(path, "empty", "file holds 0 samples", "re-export the file or remove its metadata row")
    if info.frames > 0 and samples.shape[0] < info.frames:
        raise AudioError(
            path, "truncated", f"header declares {info.frames} frames, decoded {samples.shape[0]}", "re-export or re-copy the file"
        )
    if not np.isfinite(samples).all():
        bad = int((~np.isfinite(samples)).sum())
        raise AudioError(path, "non-finite", f"{bad} NaN/inf samples", "re-export the file; NaNs usually come from a broken processing step")
    if mono:
        samples = mix_down(samples.T)
    else:
        samples = samples.T
    return resample(samples, file_rate, sample_rate)


def mix_down(samples: np.ndarray) -> np.ndarray:
    """Average channels: ``(channels, num_samples)`` -> ``(num_samples,)``."""
    if samples.ndim != 2:
        raise ValueError(f"mix_down expects (channels, num_samples), got shape {samples.shape}")
    return samples.mean(axis=0).astype(np.float32)


def resample(samples: np.ndarray, orig_sample_rate: int, target_sample_rate: int) -> np.ndarray:
    """Resample along the last axis with soxr (VHQ); a no-op when the rates are equal."""
    if orig_sample_rate <= 0 or target_sample_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {orig_sample_rate} -> {target_sample_rate}")
    samples = np.asarray(samples, dtype=np.float32)
    if orig_sample_rate == target_sample_rate:
        return samples
    if samples.ndim == 1:
        return soxr.resample(samples, orig_sample_rate, target_sample_rate, quality="VHQ").astype(np.float32)
    return soxr.resample(samples.T, orig_sample_rate, target_sample_rate, quality="VHQ").T.astype(np.float32)


def fit_duration(samples: np.ndarray, num_samples: int, mode: str = "pad", offset: int = 0) -> np.ndarray:
    """Crop (from ``offset``), zero-pad or loop mono samples to exactly ``num_samples``."""
    if samples.ndim != 1:
        raise ValueError(f"fit_duration expects mono (num_samples,), got shape {samples.shape}")
    if num_samples <= 0:
        raise ValueError(f"num_samples must be positive, got {num_samples}")
    if len(samples) == 0:
        raise ValueError("cannot fit an empty clip to a duration")
    if len(samples) >= num_samples:
        offset = min(max(offset, 0), len(samples) - num_samples)
        return samples[offset : offset + num_samples].astype(np.float32, copy=True)
    if mode == "pad":
        out = np.zeros(num_samples, dtype=np.float32)
        out[: len(samples)] = samples
        return out
    if mode == "loop":
        reps = math.ceil(num_samples / len(samples))
        return np.tile(samples, reps)[:num_samples].astype(np.float32)
    raise ValueError(f"unknown fit mode {mode!r}; use 'pad' or 'loop'")


def write_audio(path: str | os.PathLike, samples: np.ndarray, sample_rate: int) -> Path:
    """Write mono or ``(channels, num_samples)`` audio atomically (``synthio.atomic``; the temporary keeps the suffix), with the umask's mode."""
    path = Path(path)
    samples = np.asarray(samples, dtype=np.float32)
    if not np.isfinite(samples).all():
        raise ValueError(f"refusing to write non-finite samples to {path}")
    data = samples if samples.ndim == 1 else samples.T
    suffix = path.suffix.lower()
    fmt = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}.get(suffix)
    if fmt is None:
        raise ValueError(f"cannot write {path}: use .wav, .flac or .ogg")
    try:
        write_atomic(path, lambda tmp: sf.write(str(tmp), data, sample_rate, format=fmt, subtype="FLOAT" if fmt == "WAV" else None), suffix=suffix)
    except (OSError, sf.LibsndfileError) as error:
        raise AudioWriteError(f"cannot write {path} ({getattr(error, 'strerror', None) or error}); check that the folder is writable and the disk has free space") from None
    return path


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale: 2595 log10(1 + f/700)."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, f_min: float = 0.0, f_max: float | None = None) -> np.ndarray:
    """Triangular HTK-mel filters, shape ``(n_mels, n_fft // 2 + 1)``, each peaking at 1."""
    f_max = sample_rate / 2 if f_max is None else f_max
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise ValueError(f"need 0 <= f_min < f_max <= sample_rate/2, got {f_min}, {f_max}, {sample_rate}")
    fft_hz = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (fft_hz[None] - lower) / (centre - lower)
    falling = (upper - fft_hz[None]) / (upper - centre)
    return np.clip(np.minimum(rising, falling), 0.0, None).astype(np.float32)


class LogMel(torch.nn.Module):
    """Log-mel spectrogram with ``torch.stft``: ``(batch, num_samples)`` -> ``(batch, frames, n_mels)``.

    Frames are centred (reflect padding), so ``frames = num_samples // hop_length + 1``. The log is
    ``log(mel + 1e-6)``; normalisation is left to the model, computed from its training data.
    """

    def __init__(self, sample_rate: int, n_fft: int = 1024, hop_length: int = 512, n_mels: int = 40, f_min: float = 0.0, f_max: float | None = None):
        super().__init__()
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.register_buffer("filterbank", torch.from_numpy(mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max)), persistent=False)

    def num_frames(self, num_samples: int) -> int:
        return num_samples // self.hop_length + 1

    def forward(self, samples: torch.Tensor) -> torch.Tensor:
        if samples.ndim != 2:
            raise ValueError(f"LogMel expects (batch, num_samples), got shape {tuple(samples.shape)}")
        spec = torch.stft(samples.float(), self.n_fft, self.hop_length, window=self.window, center=True, pad_mode="reflect", return_complex=True)
        power = spec.real.square() + spec.imag.square()
        mel = torch.einsum("mf,bft->btm", self.filterbank, power)
        return torch.log(mel + 1e-6)
