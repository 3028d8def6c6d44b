"""AudioLDM2 (diffusers ``AudioLDM2Pipeline``) as a ``TextToAudio`` backend.

A latent diffusion model over log-mel spectrograms (VAE), conditioned on CLAP + T5 text
embeddings through a GPT-2 "language of audio", decoded to 16 kHz by a HiFi-GAN vocoder. The
UNet predicts noise (``epsilon``; ``v_prediction`` checkpoints are read from the scheduler
config) on the discrete DDPM schedule, onto which ``t`` in (0, 1) is mapped.

Pitfall: with ``num_waveforms_per_prompt > 1`` the pipeline re-ranks each prompt's outputs by
CLAP score, so output ``j`` is no longer the ``j``-th seed's. This adapter never asks for more
than one waveform per prompt; it repeats prompts itself (``expand_per_prompt``).

Sampling is batched (one pipeline call per duration: the text encoders and GPT-2 once per call,
one UNet forward per step for the whole batch); ``sampler`` swaps the checkpoint's DDIM for
DPM-Solver++ or UniPC (same noise schedule, far fewer steps) and ``steps`` fixes the step count.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from synthio.audio import fit_duration
from synthio.config import ConfigError
from synthio.device import default_dtype
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
from synthio.t2a.variations import noised_start, starting_at

LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]


class AudioLDM2T2A:
    """An ``AudioLDM2Pipeline`` behind the ``TextToAudio`` protocol (mel from the vocoder's own geometry)."""

    def __init__(self, pipeline, device: str = "cpu", name: str = "audioldm2", max_seconds: float = 10.24, n_fft: int = 1024, sampler: str | None = None, steps: int | None = None):
        from transformers.audio_utils import mel_filter_bank

        self.pipeline = pipeline.to(device)
        self.pipeline.set_progress_bar_config(disable=True)
        if sampler is not None:
            self.pipeline.scheduler = unet_scheduler(sampler, pipeline.scheduler.config, "AudioLDM2", " (or leave it out for the checkpoint's own)")
        if steps is not None and steps < 1:
            raise ConfigError(f"t2a steps must be at least 1, not {steps}")
        self.sampler, self.steps = sampler, steps
        self.device = device
        self.name = name
        self.max_seconds = max_seconds
        vocoder = pipeline.vocoder.config
        self.sample_rate = int(vocoder.sampling_rate)
        self.hop_length = int(np.prod(vocoder.upsample_rates))
        self.n_fft = n_fft
        self.filters = torch.from_numpy(
            mel_filter_bank(n_fft // 2 + 1, vocoder.model_in_dim, 0.0, self.sample_rate / 2, self.sample_rate, norm="slaney", mel_scale="slaney")
        ).float()
        self.frame_multiple = pipeline.vae_scale_factor * 2 ** (len(pipeline.unet.config.block_out_channels) - 1)
        for module in (pipeline.vae, pipeline.text_encoder, pipeline.text_encoder_2, pipeline.projection_model, pipeline.language_model, pipeline.unet, pipeline.vocoder):
            module.requires_grad_(False).eval()

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu", dtype: torch.dtype | None = None, sampler: str | None = None, steps: int | None = None) -> AudioLDM2T2A:
        """Load from a local folder (``model_index.json``); never downloads."""
        from diffusers import AudioLDM2Pipeline

        path = Path(path)
        if not (path / "model_index.json").is_file():
            raise FileNotFoundError(f"{path} is not a diffusers pipeline folder (no model_index.json); download cvssp/audioldm2 once and pass its path")
        pipeline = AudioLDM2Pipeline.from_pretrained(path, local_files_only=True, torch_dtype=dtype or default_dtype(device))
        return cls(pipeline, device=device, name=f"audioldm2:{path.name}", sampler=sampler, steps=steps)

    @torch.no_grad()
    def sample(
        self, prompts: list[str], seconds: list[float], steps: int, guidance: float, seeds: list[int], init_audio: list[np.ndarray | None] | None = None, init_strength: float = 1.0
    ) -> list[np.ndarray]:
        """Mono waveforms at ``sample_rate``; item ``i`` from ``prompts[i]``, ``seconds[i]``, ``seeds[i]`` (``steps`` unless the backend fixes its own)."""
        check_sample_args(prompts, seconds, seeds, self.max_seconds)
        from_init = check_init_args(init_audio, init_strength, seconds, self.sample_rate)
        steps = self.steps or steps
        out: list[np.ndarray | None] = [None] * len(prompts)
        for duration, index, start_from_init in group_for_sampling(seconds, init_audio if from_init else None):
            generators = [torch.Generator("cpu").manual_seed(int(seeds[i])) for i in index]
            call = {"prompt": [prompts[i] for i in index], "audio_length_in_s": duration, "num_inference_steps": steps, "guidance_scale": guidance, "num_waveforms_per_prompt": 1, "generator": generators, "output_type": "pt"}
            if start_from_init:
                call["latents"], start = self._init_latents([init_audio[i] for i in index], duration, generators, steps, init_strength)  # type: ignore[index]
                with starting_at(self.pipeline.scheduler, start):
                    audio = self.pipeline(**call).audios
            else:
                audio = self.pipeline(**call).audios
            for row, i in enumerate(index):
                out[i] = audio[row, : int(round(duration * self.sample_rate))].float().cpu().numpy().astype(np.float32)
        return out  # type: ignore[return-value]

    def spectrogram_frames(self, seconds: float) -> int:
        """Mel frames the pipeline generates for ``seconds`` (rounded up to a multiple of the VAE's downsampling)."""
        factor = self.pipeline.vae_scale_factor
        return math.ceil(int(seconds / (self.hop_length / self.sample_rate)) / factor) * factor

    @torch.no_grad()
    def clean_latents(self, clips: list[np.ndarray], seconds: float) -> torch.Tensor:
        """Scaled VAE latents of the clips' log-mels at the frame count the pipeline generates for ``seconds`` (where a variation starts)."""
        frames = self.spectrogram_frames(seconds)
        batch = torch.from_numpy(np.stack([fit_duration(np.asarray(w, np.float32), frames * self.hop_length, "pad") for w in clips]))
        mel = self.log_mel(batch)[:, :frames, None].transpose(1, 2).to(self.device, self.pipeline.vae.dtype)
        return (self.pipeline.vae.encode(mel).latent_dist.mean * self.pipeline.vae.config.scaling_factor).float()

    def _init_latents(self, clips: list[np.ndarray], seconds: float, generators: list[torch.Generator], steps: int, init_strength: float) -> tuple[torch.Tensor, int]:
        """The clips' clean latents noised (each with its own generator) to the first step the variation runs; and that step's index."""
        clean = self.clean_latents(clips, seconds)
        noise = torch.stack([torch.randn(clean.shape[1:], generator=g) for g in generators]).to(clean.device)
        start = first_step(steps, init_strength)
        return noised_start(self.pipeline.scheduler, steps, start, clean, noise, self.device).to(self.pipeline.unet.dtype), start

    def log_mel(self, samples: torch.Tensor) -> torch.Tensor:
        """``(batch, num_samples)`` -> ``(batch, frames, mel_bins)``: ``log(max(mel magnitude, 1e-5))``, slaney mel, as AudioLDM."""
        window = torch.hann_window(self.n_fft)
        spec = torch.stft(samples.float(), self.n_fft, self.hop_length, window=window, center=True, pad_mode="reflect", return_complex=True).abs()
        mel = torch.einsum("fm,bft->btm", self.filters, spec)
        return torch.log(mel.clamp_min(1e-5))

    @torch.no_grad()
    def encode(self, waveforms: list[np.ndarray], sample_rate: int) -> EncodedAudio:
        """VAE latents (scaled posterior mean) of the log-mels of clips padded to the longest, frames rounded up for the UNet."""
        resampled, seconds = prepare_waveforms(waveforms, sample_rate, self.sample_rate, self.max_seconds)
        frames = math.ceil(max(len(w) for w in resampled) / self.hop_length / self.frame_multiple) * self.frame_multiple
        batch = torch.from_numpy(np.stack([fit_duration(w, frames * self.hop_length, "pad") for w in resampled]))
        mel = self.log_mel(batch)[:, :frames, None].transpose(1, 2).to(self.device, self.pipeline.vae.dtype)
        latents = self.pipeline.vae.encode(mel).latent_dist.mean * self.pipeline.vae.config.scaling_factor
        return EncodedAudio(latents.float(), seconds)

    def diffusion_loss(self, encoded: EncodedAudio, prompts: list[str], t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Per-item MSE to the UNet's target (``epsilon`` or ``v``) at DDPM step ``round(t * (T - 1))``."""
        x0 = encoded.latents.to(self.device)
        if noise.shape != x0.shape or t.shape != (len(x0),) or len(prompts) != len(x0):
            raise ValueError(f"latents {tuple(x0.shape)}, noise {tuple(noise.shape)}, t {tuple(t.shape)}, {len(prompts)} prompts do not match")
        scheduler = self.pipeline.scheduler
        steps = (t.clamp(0, 1) * (scheduler.config.num_train_timesteps - 1)).round().long()
        alpha_bar = scheduler.alphas_cumprod.to(self.device)[steps.to(self.device)].float().view(-1, 1, 1, 1)
        noise = noise.to(self.device, torch.float32)
        x_t = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise
        if scheduler.config.prediction_type == "v_prediction":
            target = alpha_bar.sqrt() * noise - (1 - alpha_bar).sqrt() * x0
        else:
            target = noise
        with torch.no_grad():
            prompt_embeds, attention_mask, generated = self.pipeline.encode_prompt(prompts, self.device, 1, False)
        unet = self.pipeline.unet
        prediction = unet(
            x_t.to(unet.dtype),
            steps.to(self.device),
            encoder_hidden_states=generated.to(unet.dtype),
            encoder_hidden_states_1=prompt_embeds.to(unet.dtype),
            encoder_attention_mask_1=attention_mask,
            return_dict=False,
        )[0]
        return (prediction.float() - target).square().flatten(1).mean(1)

    @property
    def network(self) -> torch.nn.Module:
        return self.pipeline.unet

    def add_lora(self, rank: int = 16, alpha: float | None = None) -> list[torch.nn.Parameter]:
        """LoRA on the UNet's attention projections; returns the only trainable parameters."""
        return inject_lora(self.pipeline.unet, LORA_TARGETS, rank, alpha)

    def reference(self):
        """Adapters disabled: the frozen base UNet (the DPO reference), no second copy."""
        return lora_disabled(self.pipeline.unet)
