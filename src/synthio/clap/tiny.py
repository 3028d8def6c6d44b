"""The embedded tiny CLAP: a log-mel CNN audio tower and the frozen MiniLM sentence encoder, in one space.

Only the audio tower, the two projections, the feature statistics and the logit scale are
trained and shipped (a few MB of safetensors); the text tower is the frozen MiniLM of ``synthio.text``,
loaded from site-packages, never downloaded.

Pitfall: many corpus captions share one label, so in-batch "negatives" are often positives. The
training loss treats every pair with the same label as a positive (multi-positive InfoNCE).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from synthio.audio import LogMel, fit_duration, resample
from synthio.clap.calibration import CALIBRATION_FILE, ScoreCalibration
from synthio.models.cnn import ConvEncoder
from synthio.text import MiniLMText, shared_text_encoder


@dataclass
class TinyClapConfig:
    sample_rate: int = 16000
    seconds: float = 4.0
    n_fft: int = 1024
    hop_length: int = 512
    n_mels: int = 64
    channels: tuple[int, ...] = (16, 32, 64, 128)
    text_dim: int = 384
    embed_dim: int = 256


class TinyClapAudio(nn.Module):
    """Log-mel -> per-bin normalisation (fitted on the corpus) -> ConvEncoder -> projection; trainable part of TinyClap."""

    def __init__(self, config: TinyClapConfig):
        super().__init__()
        self.config = config
        self.logmel = LogMel(config.sample_rate, config.n_fft, config.hop_length, config.n_mels)
        self.encoder = ConvEncoder(tuple(config.channels), dropout=0.1)
        self.audio_projection = nn.Sequential(nn.Linear(self.encoder.embedding_dim, config.embed_dim), nn.ReLU(), nn.Linear(config.embed_dim, config.embed_dim))
        self.text_projection = nn.Sequential(nn.Linear(config.text_dim, config.embed_dim), nn.ReLU(), nn.Linear(config.embed_dim, config.embed_dim))
        self.logit_scale = nn.Parameter(torch.tensor(float(np.log(1 / 0.07))))
        self.register_buffer("feature_mean", torch.zeros(config.n_mels))
        self.register_buffer("feature_std", torch.ones(config.n_mels))

    @property
    def num_samples(self) -> int:
        return int(round(self.config.seconds * self.config.sample_rate))

    def features(self, waveforms: torch.Tensor) -> torch.Tensor:
        """``(batch, num_samples)`` -> normalised ``(batch, frames, n_mels)``."""
        return (self.logmel(waveforms) - self.feature_mean) / self.feature_std

    def audio_embedding(self, features: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.audio_projection(self.encoder(features)), dim=-1)

    def text_embedding(self, sentence_embeddings: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text_projection(sentence_embeddings), dim=-1)


def multi_positive_clip_loss(audio: torch.Tensor, text: torch.Tensor, labels: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE where every pair sharing a label is a positive (targets spread evenly over them)."""
    logits = logit_scale.exp().clamp(max=100) * audio @ text.T
    same = (labels[:, None] == labels[None, :]).float()
    targets = same / same.sum(1, keepdim=True)
    return 0.5 * (torch.sum(-targets * F.log_softmax(logits, 1), 1).mean() + torch.sum(-targets * F.log_softmax(logits.T, 1), 1).mean())


def load_tiny_clap_audio(folder: str | Path) -> TinyClapAudio:
    """The trained tower alone (no text encoder loaded), from a folder written by :func:`save_tiny_clap`."""
    from synthio.weights import load_state, read_model_folder

    what = "a tiny CLAP (`synthio pretrain clap` OUT/model)"
    config, state = read_model_folder(folder, TinyClapConfig, what)
    audio = TinyClapAudio(config)
    load_state(audio, {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, folder, what)
    return audio


class TinyClap:
    """``AudioTextScorer`` over a trained ``TinyClapAudio`` and the frozen MiniLM text tower."""

    def __init__(self, audio: TinyClapAudio, text: MiniLMText | None = None, device: str = "cpu", name: str = "embedded:tiny-clap", calibration: ScoreCalibration | None = None):
        self.audio = audio.to(device).eval()
        self.calibration = calibration
        self.text = text if text is not None else shared_text_encoder()
        self.device = device
        self.name = name
        self.model_sample_rate = audio.config.sample_rate

    @classmethod
    def load(cls, folder: str | Path, device: str = "cpu", text: MiniLMText | None = None) -> TinyClap:
        """From ``config.json`` + ``model.safetensors`` written by :func:`save_tiny_clap`, and ``calibration.json`` when the folder has one."""
        return cls(load_tiny_clap_audio(folder), text, device=device, calibration=ScoreCalibration.load(folder))

    @torch.no_grad()
    def embed_audio(self, waveforms: list[np.ndarray], sample_rate: int, batch_size: int = 64) -> torch.Tensor:
        n = self.audio.num_samples
        out = []
        for start in range(0, len(waveforms), batch_size):
            chunk = [resample(np.asarray(w, np.float32), sample_rate, self.model_sample_rate) for w in waveforms[start : start + batch_size]]
            batch = torch.from_numpy(np.stack([fit_duration(w, n, "pad", offset=max(0, (len(w) - n) // 2)) for w in chunk])).to(self.device)
            out.append(self.audio.audio_embedding(self.audio.features(batch)).cpu())
        return torch.cat(out)

    @torch.no_grad()
    def embed_text(self, texts: list[str]) -> torch.Tensor:
        return self.audio.text_embedding(self.text(texts).to(self.device)).cpu()

    def log_logit_scale(self) -> float:
        """The calibrated scale when the model has a calibration, else the trained (contrastive) one."""
        if self.calibration is not None:
            return self.calibration.log_logit_scale
        return float(self.audio.logit_scale.detach().clamp(max=float(np.log(100))))

    def logit_bias(self) -> float:
        return self.calibration.logit_bias if self.calibration is not None else 0.0


def save_tiny_clap(audio: TinyClapAudio, folder: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """``config.json`` + ``model.safetensors`` (state dict without the fixed STFT buffers; weight matrices in float16, half the size; vectors and statistics in float32)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = asdict(audio.config)
    config["channels"] = list(config["channels"])
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    state = {k: (v.half() if v.is_floating_point() and v.dim() >= 2 else v).detach().cpu().contiguous() for k, v in audio.state_dict().items()}
    save_file(state, str(folder / "model.safetensors"), metadata=metadata)
    (folder / CALIBRATION_FILE).unlink(missing_ok=True)  # fitted to the weights just replaced
    return folder
