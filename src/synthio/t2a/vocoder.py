"""A small neural vocoder for the tiny T2A's log-mels: ConvNeXt blocks that predict the STFT one inverse STFT turns into audio.

Why: the tiny T2A makes mels, and Griffin-Lim's phase is what makes its clips sound metallic and
smeared. This model reads a ``(n_mels, frames)`` log-mel and predicts, per frame, the log-magnitude
and the phase of the T2A's own STFT (``n_fft``, ``hop_length``), so the waveform is one ``istft``
away: no upsampling layers, every layer at the frame rate (the ISTFT-head design of Vocos,
Siuzdak 2023), which keeps it fast on two CPU cores. ``synthio pretrain vocoder`` trains it on
corpus clips with a mel loss and a multi-resolution STFT loss (``vocoder_loss``).

Pitfall: the input is the natural-log *power* mel exactly as ``TinyT2A.log_mel`` computes it
(same filter bank, ``log(mel + 1e-6)``), not the T2A's normalised mel; the model normalises it with
its own corpus statistics. A vocoder trained for another mel (bands, hop, sample rate) is refused.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from synthio.audio import mel_filterbank
from synthio.errors import SynthioError


@dataclass
class VocoderConfig:
    sample_rate: int = 16000
    n_fft: int = 1024
    hop_length: int = 512
    n_mels: int = 64
    dim: int = 192
    intermediate_dim: int = 576
    layers: int = 6
    kernel_size: int = 7


def log_mel(samples: torch.Tensor, filters: torch.Tensor, n_fft: int, hop_length: int) -> torch.Tensor:
    """``(batch, num_samples)`` -> ``(batch, n_mels, frames)`` natural-log power mel (hann window, centred frames)."""
    spec = torch.stft(samples.float(), n_fft, hop_length, window=torch.hann_window(n_fft, device=samples.device), center=True, return_complex=True)
    return torch.log(torch.einsum("mf,bft->bmt", filters.to(samples.device), spec.abs().square()) + 1e-6)


class ConvNeXtBlock(nn.Module):
    """Depthwise conv over time, LayerNorm, pointwise MLP, layer scale, residual."""

    def __init__(self, dim: int, intermediate_dim: int, kernel_size: int):
        super().__init__()
        self.depthwise = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, intermediate_dim)
        self.down = nn.Linear(intermediate_dim, dim)
        self.scale = nn.Parameter(torch.full((dim,), 1.0 / 8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.depthwise(x).transpose(1, 2)
        y = self.down(F.gelu(self.up(self.norm(y))))
        return x + (self.scale * y).transpose(1, 2)


class MelVocoder(nn.Module):
    """``(batch, n_mels, frames)`` log-mel -> ``(batch, num_samples)`` waveform through a predicted STFT."""

    def __init__(self, config: VocoderConfig = VocoderConfig()):
        super().__init__()
        self.config = config
        self.embed = nn.Conv1d(config.n_mels, config.dim, config.kernel_size, padding=config.kernel_size // 2)
        self.norm = nn.LayerNorm(config.dim)
        self.blocks = nn.Sequential(*[ConvNeXtBlock(config.dim, config.intermediate_dim, config.kernel_size) for _ in range(config.layers)])
        self.final_norm = nn.LayerNorm(config.dim)
        self.head = nn.Linear(config.dim, config.n_fft + 2)
        self.register_buffer("mel_mean", torch.zeros(config.n_mels))
        self.register_buffer("mel_std", torch.ones(config.n_mels))
        self.register_buffer("filters", torch.from_numpy(mel_filterbank(config.sample_rate, config.n_fft, config.n_mels)), persistent=False)

    def mel(self, samples: torch.Tensor) -> torch.Tensor:
        """The input this vocoder expects, computed from audio (for training and tests)."""
        return log_mel(samples, self.filters, self.config.n_fft, self.config.hop_length)

    @torch.no_grad()
    def fit_statistics(self, log_mels: torch.Tensor) -> None:
        """Per-band mean and std of ``(batch, n_mels, frames)`` training log-mels."""
        flat = log_mels.transpose(1, 2).reshape(-1, self.config.n_mels).float()
        self.mel_mean.copy_(flat.mean(0))
        self.mel_std.copy_(flat.std(0).clamp_min(1e-3))

    def spectrum(self, log_mels: torch.Tensor) -> torch.Tensor:
        """Complex STFT ``(batch, n_fft // 2 + 1, frames)``: magnitude ``exp(log_magnitude)`` (capped at e^5), phase from the predicted angle."""
        x = (log_mels - self.mel_mean[:, None]) / self.mel_std[:, None]
        x = self.norm(self.embed(x).transpose(1, 2)).transpose(1, 2)
        x = self.final_norm(self.blocks(x).transpose(1, 2))
        log_magnitude, angle = self.head(x).transpose(1, 2).chunk(2, dim=1)
        return torch.polar(log_magnitude.clamp(max=5.0).exp(), angle)

    def forward(self, log_mels: torch.Tensor, num_samples: int) -> torch.Tensor:
        window = torch.hann_window(self.config.n_fft, device=log_mels.device)
        return torch.istft(self.spectrum(log_mels.float()), self.config.n_fft, self.config.hop_length, window=window, center=True, length=num_samples)

    def check_matches(self, sample_rate: int, n_fft: int, hop_length: int, n_mels: int) -> None:
        """Raise unless this vocoder was made for that mel."""
        mine = (self.config.sample_rate, self.config.n_fft, self.config.hop_length, self.config.n_mels)
        if mine != (sample_rate, n_fft, hop_length, n_mels):
            raise SynthioError(
                f"the vocoder reads {mine[3]}-band mels at {mine[0]} Hz (n_fft {mine[1]}, hop {mine[2]}) but the T2A makes "
                f"{n_mels}-band mels at {sample_rate} Hz (n_fft {n_fft}, hop {hop_length}); train one for it with `synthio pretrain vocoder`"
            )

    def save(self, folder: str | Path, metadata: dict[str, str] | None = None) -> Path:
        """``config.json`` + ``model.safetensors`` (float32)."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(asdict(self.config), indent=2))
        save_file({k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}, str(folder / "model.safetensors"), metadata=metadata)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> MelVocoder:
        from synthio.weights import load_state, read_model_folder

        what = "a vocoder (`synthio pretrain vocoder` OUT/model)"
        config, state = read_model_folder(folder, VocoderConfig, what)
        model = cls(config)
        load_state(model, state, folder, what)
        return model.eval()


STFT_RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))


def vocoder_loss(model: MelVocoder, predicted: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
    """Mel L1 (model's own mel) + multi-resolution STFT loss (spectral convergence + log-magnitude L1, Yamamoto et al. 2020) over ``STFT_RESOLUTIONS``."""
    mel = F.l1_loss(model.mel(predicted), model.mel(target))
    convergence, magnitude = predicted.new_zeros(()), predicted.new_zeros(())
    for n_fft, hop in STFT_RESOLUTIONS:
        window = torch.hann_window(n_fft, device=predicted.device)
        p = torch.stft(predicted, n_fft, hop, window=window, return_complex=True).abs().clamp_min(1e-5)
        t = torch.stft(target, n_fft, hop, window=window, return_complex=True).abs().clamp_min(1e-5)
        convergence = convergence + torch.linalg.norm(t - p) / torch.linalg.norm(t).clamp_min(1e-5)
        magnitude = magnitude + F.l1_loss(p.log(), t.log())
    stft = (convergence + magnitude) / len(STFT_RESOLUTIONS)
    return mel + stft, {"mel": mel.item(), "stft": stft.item()}
