"""The embedded tiny text-to-audio model: a diffusers ``UNet2DConditionModel`` on normalised log-mels.

- Representation: 64-band log-mel at 16 kHz, 32 ms hop, normalised per band with corpus
  statistics; frames padded to a multiple of ``frame_multiple`` (4 s = 128 frames). The UNet
  sees ``patch_size`` x ``patch_size`` patches as channels (4 x 4: a 16 x 16 x 32 "latent" that
  needs no autoencoder), and attends only at its coarser levels: that is what makes a 4-s clip
  cost well under a second on two CPU cores.
- Conditioning: token embeddings of the frozen MiniLM sentence encoder (cross-attention);
  classifier-free guidance with an all-zero condition, dropped in training with ``cfg_dropout``.
- Objective: v-prediction on the DDPM schedule; sampling with DDIM (deterministic, eta = 0) by
  default, or DPM-Solver++(2M) / UniPC (``t2a: {sampler: dpmpp-2m}``), which need fewer steps.
- Waveform: Griffin-Lim from the mel (pseudo-inverse of the filter bank), or a ``MelVocoder``
  (``set_vocoder``; ``t2a: {vocoder: FOLDER}``) trained on the corpus with ``synthio pretrain vocoder``.
- Longer than ``max_seconds``: tiled from consecutive windows, window k seeded ``seed + k * 1_000_003``
  (the first window is exactly the short clip of the same seed), joined with 10-ms fades.

Pitfall: Griffin-Lim phase is rough; the audio is recognisable, not pretty. Quality figures
belong in the model card next to the command that measured them.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from synthio.audio import fit_duration, mel_filterbank
from synthio.t2a.base import (
    EncodedAudio,
    check_init_args,
    check_sample_args,
    first_step,
    group_for_sampling,
    prepare_waveforms,
    unet_scheduler,
)
from synthio.t2a.lora import inject_lora, lora_disabled
from synthio.t2a.vocoder import MelVocoder, log_mel

LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
TILE_SEED_STRIDE = 1_000_003
TILE_FADE_SECONDS = 0.01


def join_with_fades(parts: list[np.ndarray], fade: int) -> np.ndarray:
    """Concatenate windows, fading each seam out and in over ``fade`` samples (no overlap: the length is the sum)."""
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    faded = []
    for k, part in enumerate(parts):
        part = part.copy()
        n = min(fade, len(part))
        if k > 0:
            part[:n] *= ramp[:n]
        if k < len(parts) - 1:
            part[len(part) - n :] *= ramp[:n][::-1]
        faded.append(part)
    return np.concatenate(faded)


@dataclass
class TinyT2AConfig:
    sample_rate: int = 16000
    n_fft: int = 1024
    hop_length: int = 512
    n_mels: int = 64
    max_seconds: float = 4.0
    patch_size: int = 4
    block_out_channels: list[int] = field(default_factory=lambda: [64, 128, 160])
    layers_per_block: int = 1
    attention_levels: int = 2
    attention_head_dim: int = 8
    text_dim: int = 384
    max_text_tokens: int = 32
    train_timesteps: int = 1000
    griffin_lim_iterations: int = 32


COSINE_SCHEDULE_OPTIONS = {"ddim": {"set_alpha_to_one": True}, "dpmpp-2m": {"lambda_min_clipped": -5.1}, "unipc": {"timestep_spacing": "leading"}}


class TinyT2A:
    """``TextToAudio`` over a small mel-space UNet and the frozen MiniLM token encoder."""

    def __init__(self, config: TinyT2AConfig, unet=None, text=None, device: str = "cpu", name: str = "embedded:tiny-t2a", sampler: str = "ddim"):
        from diffusers import DDPMScheduler, UNet2DConditionModel

        self.config = config
        self.name = name
        self.device = device
        self.sample_rate = config.sample_rate
        self.max_seconds = config.max_seconds
        levels = len(config.block_out_channels)
        if config.n_mels % config.patch_size:
            raise ValueError(f"n_mels ({config.n_mels}) must be a multiple of patch_size ({config.patch_size})")
        if not 0 <= config.attention_levels <= levels:
            raise ValueError(f"attention_levels ({config.attention_levels}) must lie between 0 and the number of levels ({levels})")
        self.unet = unet if unet is not None else UNet2DConditionModel(
            sample_size=None,
            in_channels=config.patch_size**2,
            out_channels=config.patch_size**2,
            block_out_channels=tuple(config.block_out_channels),
            layers_per_block=config.layers_per_block,
            down_block_types=("DownBlock2D",) * (levels - config.attention_levels) + ("CrossAttnDownBlock2D",) * config.attention_levels,
            up_block_types=("CrossAttnUpBlock2D",) * config.attention_levels + ("UpBlock2D",) * (levels - config.attention_levels),
            cross_attention_dim=config.text_dim,
            attention_head_dim=config.attention_head_dim,
            norm_num_groups=8,
        )
        self.unet.to(device)
        self._text = text
        self.train_scheduler = DDPMScheduler(num_train_timesteps=config.train_timesteps, beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction", clip_sample=False)
        self.set_sampler(sampler)
        self.frame_multiple = config.patch_size * 2 ** (levels - 1)
        self.mel_mean = torch.zeros(config.n_mels)
        self.mel_std = torch.ones(config.n_mels)
        self.filters = torch.from_numpy(mel_filterbank(config.sample_rate, config.n_fft, config.n_mels))
        self.inverse_filters = torch.linalg.pinv(self.filters)
        self.vocoder: MelVocoder | None = None

    def set_sampler(self, sampler: str) -> None:
        """Sample with ``sampler`` (``UNET_SAMPLERS``: ``ddim``, deterministic DDIM, the default; ``dpmpp-2m``, ``unipc``) on the training schedule.

        Pitfall: on the cosine schedule log(alpha / sigma) falls to -inf at the last training steps,
        where the multistep solvers' first step then lands; DPM-Solver++ clips it at -5.1 (diffusers'
        ``lambda_min_clipped``, meant for this schedule) and UniPC starts where DDIM does (``leading``).
        """
        self.sample_scheduler = unet_scheduler(sampler, self.train_scheduler.config, "the embedded T2A", **COSINE_SCHEDULE_OPTIONS.get(sampler, {}))
        self.sampler = sampler

    # -- representation -------------------------------------------------------------
    def frames_for(self, seconds: float) -> int:
        frames = int(round(seconds * self.sample_rate)) // self.config.hop_length + 1
        return int(math.ceil(frames / self.frame_multiple) * self.frame_multiple)

    def log_mel(self, samples: torch.Tensor) -> torch.Tensor:
        """``(batch, num_samples)`` -> ``(batch, n_mels, frames)`` natural-log power mel."""
        return log_mel(samples, self.filters, self.config.n_fft, self.config.hop_length)

    def normalise(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel - self.mel_mean[:, None]) / self.mel_std[:, None]

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mel_std[:, None] + self.mel_mean[:, None]

    def fit_statistics(self, log_mels: torch.Tensor) -> None:
        """Per-band mean and std of ``(batch, n_mels, frames)`` training log-mels."""
        flat = log_mels.transpose(1, 2).reshape(-1, self.config.n_mels)
        self.mel_mean, self.mel_std = flat.mean(0), flat.std(0).clamp_min(1e-3)

    def set_vocoder(self, vocoder: MelVocoder | None) -> None:
        """Decode mels with ``vocoder`` (None: Griffin-Lim); refused unless it reads this model's mels."""
        if vocoder is not None:
            vocoder.check_matches(self.sample_rate, self.config.n_fft, self.config.hop_length, self.config.n_mels)
            vocoder.to(self.device).eval()
        self.vocoder = vocoder

    @torch.no_grad()
    def to_waveform(self, log_mel: torch.Tensor, num_samples: int, seed: int) -> np.ndarray:
        """One ``(n_mels, frames)`` log-mel to audio: the vocoder's, or Griffin-Lim's (random initial phase seeded by ``seed``)."""
        if self.vocoder is not None:
            return self.vocoder(log_mel[None].to(self.device), num_samples)[0].cpu().numpy().astype(np.float32)
        return self.griffin_lim(log_mel, num_samples, seed)

    def griffin_lim(self, log_mel: torch.Tensor, num_samples: int, seed: int) -> np.ndarray:
        """Griffin-Lim from one ``(n_mels, frames)`` log-mel; the random initial phase is seeded."""
        power = torch.clamp(self.inverse_filters @ (log_mel.exp() - 1e-6).clamp_min(0), min=0)
        magnitude = power.sqrt()
        window = torch.hann_window(self.config.n_fft)
        generator = torch.Generator().manual_seed(seed)
        phase = torch.exp(2j * math.pi * torch.rand(magnitude.shape, generator=generator))
        spec = magnitude * phase
        for _ in range(self.config.griffin_lim_iterations):
            audio = torch.istft(spec, self.config.n_fft, self.config.hop_length, window=window, length=num_samples)
            rebuilt = torch.stft(audio, self.config.n_fft, self.config.hop_length, window=window, return_complex=True)
            spec = magnitude * torch.exp(1j * rebuilt.angle())
        audio = torch.istft(spec, self.config.n_fft, self.config.hop_length, window=window, length=num_samples)
        return audio.numpy().astype(np.float32)

    def denoiser(self, x: torch.Tensor, steps: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """The UNet over ``patch_size`` x ``patch_size`` patches of ``(batch, 1, n_mels, frames)`` mels (same shape out)."""
        patch = self.config.patch_size
        return F.pixel_shuffle(self.unet(F.pixel_unshuffle(x, patch), steps, encoder_hidden_states=cond).sample, patch)

    # -- conditioning -----------------------------------------------------------------
    @property
    def text(self):
        """The frozen MiniLM encoder, loaded on first use (never at construction)."""
        if self._text is None:
            from synthio.text import shared_text_encoder

            self._text = shared_text_encoder()
        return self._text

    @torch.no_grad()
    def text_tokens(self, prompts: list[str]) -> torch.Tensor:
        """MiniLM token embeddings ``(batch, max_text_tokens, 384)``, zero past each prompt's end."""
        text = self.text
        batch = text.tokenizer(prompts, padding="max_length", truncation=True, max_length=self.config.max_text_tokens, return_tensors="pt")
        hidden = text.model(**batch).last_hidden_state
        return (hidden * batch["attention_mask"].unsqueeze(-1)).to(self.device)

    # -- TextToAudio --------------------------------------------------------------------
    def sample(
        self, prompts: list[str], seconds: list[float], steps: int, guidance: float, seeds: list[int], init_audio: list[np.ndarray | None] | None = None, init_strength: float = 1.0
    ) -> list[np.ndarray]:
        """One waveform per prompt; longer than ``max_seconds`` is tiled from windows with their own seeds (and their own part of the init clip), joined by short fades."""
        check_sample_args(prompts, seconds, seeds, math.inf)
        from_init = check_init_args(init_audio, init_strength, seconds, self.sample_rate)
        tiles = [(i, k) for i, s in enumerate(seconds) for k in range(max(1, math.ceil(s / self.max_seconds - 1e-9)))]
        window = int(round(self.max_seconds * self.sample_rate))
        waves = self._sample_windows(
            [prompts[i] for i, _ in tiles],
            [min(self.max_seconds, seconds[i] - k * self.max_seconds) for i, k in tiles],
            steps,
            guidance,
            [int(seeds[i]) + k * TILE_SEED_STRIDE for i, k in tiles],
            [None if init_audio[i] is None else np.asarray(init_audio[i], np.float32)[k * window : (k + 1) * window] for i, k in tiles] if from_init else None,
            init_strength,
        )
        out: list[list[np.ndarray]] = [[] for _ in prompts]
        for (i, _), wave in zip(tiles, waves):
            out[i].append(wave)
        return [parts[0] if len(parts) == 1 else join_with_fades(parts, int(TILE_FADE_SECONDS * self.sample_rate)) for parts in out]

    @torch.no_grad()
    def _sample_windows(
        self, prompts: list[str], seconds: list[float], steps: int, guidance: float, seeds: list[int], init_audio: list[np.ndarray | None] | None = None, init_strength: float = 1.0
    ) -> list[np.ndarray]:
        """Items of equal latent length (each at most ``max_seconds``) are denoised together, each from its own seeded noise (added to its init clip's mel, if any), then cut to its own duration.

        Windows shorter than one FFT frame (the last tile of a clip just past a multiple of the
        window, or a clip of a few milliseconds) are rendered at ``n_fft`` samples and cropped:
        Griffin-Lim's STFT cannot reflect-pad a shorter signal. Grouping by latent length, not by
        exact duration, is what batches clips of many slightly different lengths (spoken words).
        """
        self.unet.eval()
        out: list[np.ndarray | None] = [None] * len(prompts)
        num_samples = [max(1, int(round(s * self.sample_rate))) for s in seconds]
        rendered = [max(n, self.config.n_fft) for n in num_samples]
        for frames, index, from_init in group_for_sampling([self.frames_for(r / self.sample_rate) for r in rendered], init_audio):
            noise = torch.stack([torch.randn(1, self.config.n_mels, int(frames), generator=torch.Generator().manual_seed(int(seeds[i]))) for i in index])
            clean = self.encode([fit_duration(init_audio[i], rendered[i], "pad") for i in index], self.sample_rate).latents if from_init else None  # type: ignore[index]
            mel = self._denoise(noise.to(self.device), self.text_tokens([prompts[i] for i in index]), steps, guidance, clean, init_strength)
            for row, i in enumerate(index):
                keep = rendered[i] // self.config.hop_length + 1
                out[i] = self.to_waveform(self.denormalise(mel[row, 0, :, :keep].float().cpu()), rendered[i], int(seeds[i]))[: num_samples[i]]
        return out  # type: ignore[return-value]

    def _denoise(self, noise: torch.Tensor, cond: torch.Tensor, steps: int, guidance: float, clean: torch.Tensor | None = None, init_strength: float = 1.0) -> torch.Tensor:
        """The sampler (DDIM at eta = 0 by default) from ``noise`` (or from ``clean`` mels noised to the step ``init_strength`` picks) with classifier-free guidance against the all-zero condition."""
        scheduler = self.sample_scheduler
        scheduler.set_timesteps(steps)
        timesteps = scheduler.timesteps
        if clean is None:
            x = noise * scheduler.init_noise_sigma
        else:
            start = first_step(steps, init_strength)
            if hasattr(scheduler, "set_begin_index"):
                scheduler.set_begin_index(start)
            timesteps = timesteps[start:]
            x = scheduler.add_noise(clean, noise, timesteps[:1].repeat(len(clean)))
        for t in timesteps:
            if guidance != 1.0:
                both = self.denoiser(torch.cat([x, x]), t, torch.cat([torch.zeros_like(cond), cond]))
                uncond, conditional = both.chunk(2)
                prediction = uncond + guidance * (conditional - uncond)
            else:
                prediction = self.denoiser(x, t, cond)
            x = scheduler.step(prediction, t, x, **({"eta": 0.0} if self.sampler == "ddim" else {})).prev_sample
        return x

    @torch.no_grad()
    def encode(self, waveforms: list[np.ndarray], sample_rate: int) -> EncodedAudio:
        """Normalised log-mels ``(batch, 1, n_mels, frames)``, padded with the silence level to the longest clip."""
        resampled, seconds = prepare_waveforms(waveforms, sample_rate, self.sample_rate, self.max_seconds)
        frames = self.frames_for(max(seconds))
        silence = self.normalise(torch.full((1, self.config.n_mels, 1), math.log(1e-6)))[0]
        latents = silence.expand(self.config.n_mels, frames).repeat(len(resampled), 1, 1)
        for i, w in enumerate(resampled):
            w = np.pad(w, (0, max(0, self.config.n_fft - len(w))))
            mel = self.normalise(self.log_mel(torch.from_numpy(w)[None]))[0]
            latents[i, :, : min(frames, mel.shape[1])] = mel[:, :frames]
        return EncodedAudio(latents[:, None].to(self.device), seconds)

    def diffusion_loss(self, encoded: EncodedAudio, prompts: list[str], t: torch.Tensor, noise: torch.Tensor, condition_dropout: torch.Tensor | None = None) -> torch.Tensor:
        """Per-item MSE to the v target at DDPM step ``round(t * (T - 1))``; ``condition_dropout`` (bool per item) zeroes the text."""
        x0 = encoded.latents.to(self.device)
        if noise.shape != x0.shape or t.shape != (len(x0),) or len(prompts) != len(x0):
            raise ValueError(f"latents {tuple(x0.shape)}, noise {tuple(noise.shape)}, t {tuple(t.shape)}, {len(prompts)} prompts do not match")
        cond = self.text_tokens(prompts)
        if condition_dropout is not None:
            cond = cond * (~condition_dropout.to(self.device)).float()[:, None, None]
        return self.v_loss(x0, cond, t, noise)

    def v_loss(self, x0: torch.Tensor, cond: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Per-item ``mean((v - v_hat)^2)`` for normalised mels ``x0`` and text tokens ``cond`` (both already on device)."""
        steps = (t.clamp(0, 1) * (self.config.train_timesteps - 1)).round().long().to(self.device)
        noise = noise.to(self.device)
        x_t = self.train_scheduler.add_noise(x0, noise, steps)
        target = self.train_scheduler.get_velocity(x0, noise, steps)
        prediction = self.denoiser(x_t, steps, cond)
        return F.mse_loss(prediction.float(), target.float(), reduction="none").flatten(1).mean(1)

    @property
    def network(self) -> torch.nn.Module:
        return self.unet

    def add_lora(self, rank: int = 8, alpha: float | None = None) -> list[torch.nn.Parameter]:
        return inject_lora(self.unet, LORA_TARGETS, rank, alpha)

    def reference(self):
        return lora_disabled(self.unet)

    # -- persistence ----------------------------------------------------------------------
    def save(self, folder: str | Path, metadata: dict[str, str] | None = None) -> Path:
        """``config.json`` + ``model.safetensors`` (UNet weights in float16, half the size; mel statistics in float32)."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(asdict(self.config), indent=2))
        state = {f"unet.{k}": v.detach().cpu().to(torch.float16).contiguous() for k, v in self.unet.state_dict().items()}
        state["mel_mean"], state["mel_std"] = self.mel_mean.contiguous(), self.mel_std.contiguous()
        save_file(state, str(folder / "model.safetensors"), metadata=metadata)
        return folder

    @classmethod
    def load(cls, folder: str | Path, device: str = "cpu", text=None) -> TinyT2A:
        from synthio.weights import load_state, read_model_folder

        what = "a tiny T2A (`synthio pretrain t2a` OUT/model)"
        config, state = read_model_folder(folder, TinyT2AConfig, what)
        model = cls(config, text=text, device=device)
        load_state(model.unet, {k[len("unet."):]: v.float() for k, v in state.items() if k.startswith("unet.")}, folder, what)
        model.mel_mean, model.mel_std = state["mel_mean"], state["mel_std"]
        return model
