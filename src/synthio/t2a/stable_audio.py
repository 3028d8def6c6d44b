"""Stable Audio Open (diffusers ``StableAudioPipeline``) as a ``TextToAudio`` backend.

The DiT is a v-prediction model on a continuous time ``t`` in (0, 1): with ``alpha = cos(pi t / 2)``
and ``sigma = sin(pi t / 2)``, ``x_t = alpha x_0 + sigma eps`` and the target is
``v = alpha eps - sigma x_0``. This is the same parameterisation the pipeline's cosine DPM-Solver
samples with (its ``scale_model_input`` and ``precondition_noise`` map sigma back to ``t``).
Clips are encoded padded to the model's full window, conditioned on their true duration, as
the pipeline generates.

Sampling is batched: one pipeline call per duration, the T5 text encoder once per call, every
sampler step one DiT forward over the whole batch (conditional and unconditional halves
together). ``sampler`` picks a variant of the cosine DPM-Solver++ the checkpoint ships with (the
DiT is conditioned on that schedule's time, so other diffusers schedulers do not apply), and
``steps`` fixes the step count (the release samples 250; DPM-Solver++ needs far fewer).
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
)
from synthio.t2a.lora import inject_lora, lora_disabled
from synthio.t2a.variations import noised_start, starting_at

LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
SAMPLERS = {
    "dpmpp-2m-sde": {"solver_order": 2, "sigma_schedule": "exponential"},
    "dpmpp-2m-sde-karras": {"solver_order": 2, "sigma_schedule": "karras"},
    "dpmpp-1-sde": {"solver_order": 1, "sigma_schedule": "exponential"},
}


class StableAudioT2A:
    """A ``StableAudioPipeline`` behind the ``TextToAudio`` protocol.

    Pitfall: the pipeline takes one duration per call, so ``sample`` groups items by duration
    and gives each item its own ``torch.Generator``; output ``i`` is always prompt ``i``'s.
    """

    def __init__(self, pipeline, device: str = "cpu", name: str = "stable-audio", sampler: str | None = None, steps: int | None = None):
        self.pipeline = pipeline.to(device)
        self.pipeline.set_progress_bar_config(disable=True)
        if sampler is not None:
            if sampler not in SAMPLERS:
                raise ConfigError(f"t2a sampler {sampler!r} is not one of Stable Audio's: {', '.join(SAMPLERS)} (or leave it out for the checkpoint's own)")
            from diffusers import CosineDPMSolverMultistepScheduler

            self.pipeline.scheduler = CosineDPMSolverMultistepScheduler.from_config(pipeline.scheduler.config, **SAMPLERS[sampler])
        if steps is not None and steps < 1:
            raise ConfigError(f"t2a steps must be at least 1, not {steps}")
        self.sampler, self.steps = sampler, steps
        self.device = device
        self.name = name
        vae = pipeline.vae
        self.model_sample_rate = int(vae.config.sampling_rate)
        self.sample_rate = self.model_sample_rate
        self.window_samples = int(pipeline.transformer.config.sample_size * vae.hop_length)
        self.max_seconds = self.window_samples / self.model_sample_rate
        for module in (pipeline.vae, pipeline.text_encoder, pipeline.projection_model, pipeline.transformer):
            module.requires_grad_(False).eval()

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu", dtype: torch.dtype | None = None, sampler: str | None = None, steps: int | None = None) -> StableAudioT2A:
        """Load from a local folder (``model_index.json``); never downloads."""
        from diffusers import StableAudioPipeline

        path = Path(path)
        if not (path / "model_index.json").is_file():
            raise FileNotFoundError(f"{path} is not a diffusers pipeline folder (no model_index.json); download stabilityai/stable-audio-open-1.0 once and pass its path")
        pipeline = StableAudioPipeline.from_pretrained(path, local_files_only=True, torch_dtype=dtype or default_dtype(device))
        return cls(pipeline, device=device, name=f"stable-audio:{path.name}", sampler=sampler, steps=steps)

    @torch.no_grad()
    def sample(
        self, prompts: list[str], seconds: list[float], steps: int, guidance: float, seeds: list[int], init_audio: list[np.ndarray | None] | None = None, init_strength: float = 1.0
    ) -> list[np.ndarray]:
        """Mono waveforms at ``sample_rate``, item ``i`` from ``prompts[i]``, ``seconds[i]`` and ``seeds[i]`` (``steps`` unless the backend fixes its own)."""
        check_sample_args(prompts, seconds, seeds, self.max_seconds)
        from_init = check_init_args(init_audio, init_strength, seconds, self.sample_rate)
        steps = self.steps or steps
        out: list[np.ndarray | None] = [None] * len(prompts)
        for duration, index, start_from_init in group_for_sampling(seconds, init_audio if from_init else None):
            generators = [torch.Generator("cpu").manual_seed(int(seeds[i])) for i in index]
            call = {"prompt": [prompts[i] for i in index], "audio_end_in_s": duration, "num_inference_steps": steps, "guidance_scale": guidance, "generator": generators, "output_type": "pt"}
            if start_from_init:
                call["latents"], start = self._init_latents([init_audio[i] for i in index], generators, steps, init_strength)  # type: ignore[index]
                with starting_at(self.pipeline.scheduler, start):
                    audio = self.pipeline(**call).audios
            else:
                audio = self.pipeline(**call).audios
            mono = audio.float().mean(dim=1).cpu().numpy()
            for row, i in enumerate(index):
                out[i] = mono[row, : int(round(duration * self.sample_rate))].astype(np.float32)
        return out  # type: ignore[return-value]

    def _init_latents(self, clips: list[np.ndarray], generators: list[torch.Generator], steps: int, init_strength: float) -> tuple[torch.Tensor, int]:
        """The clips' latents noised (each with its own generator) to the first step a variation at ``init_strength`` runs, and that step's index."""
        clean = self.encode(clips, self.sample_rate).latents
        noise = torch.stack([torch.randn(clean.shape[1:], generator=g) for g in generators]).to(clean.device)
        start = first_step(steps, init_strength)
        return noised_start(self.pipeline.scheduler, steps, start, clean, noise, self.device).to(self.pipeline.transformer.dtype), start

    @torch.no_grad()
    def encode(self, waveforms: list[np.ndarray], sample_rate: int) -> EncodedAudio:
        """VAE latents (posterior mean) of each clip padded to the model window; stereo by duplicating mono."""
        channels = self.pipeline.vae.config.audio_channels
        resampled, seconds = prepare_waveforms(waveforms, sample_rate, self.model_sample_rate, self.max_seconds)
        batch = [np.repeat(fit_duration(x, self.window_samples, "pad")[None], channels, axis=0) for x in resampled]
        audio = torch.from_numpy(np.stack(batch)).to(self.device, self.pipeline.vae.dtype)
        latents = self.pipeline.vae.encode(audio).latent_dist.mean
        return EncodedAudio(latents.float(), seconds)

    def _conditioning(self, prompts: list[str], seconds: list[float]) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            prompt_embeds = self.pipeline.encode_prompt(prompts, self.device, False)
            start, end = self.pipeline.encode_duration([0.0] * len(prompts), list(seconds), self.device, False, len(prompts))
        text_audio_duration = torch.cat([prompt_embeds, start, end], dim=1)
        audio_duration = torch.cat([start, end], dim=2)
        return text_audio_duration, audio_duration

    def diffusion_loss(self, encoded: EncodedAudio, prompts: list[str], t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Per-item ``mean((v - v_hat)^2)`` with ``v = alpha eps - sigma x0`` at ``t`` (Stable Audio's v objective)."""
        from diffusers.models.embeddings import get_1d_rotary_pos_embed

        x0 = encoded.latents.to(self.device)
        if noise.shape != x0.shape or t.shape != (len(x0),) or len(prompts) != len(x0):
            raise ValueError(f"latents {tuple(x0.shape)}, noise {tuple(noise.shape)}, t {tuple(t.shape)}, {len(prompts)} prompts do not match")
        t = t.to(self.device, torch.float32)
        alpha = torch.cos(t * math.pi / 2).view(-1, 1, 1)
        sigma = torch.sin(t * math.pi / 2).view(-1, 1, 1)
        noise = noise.to(self.device, torch.float32)
        x_t = alpha * x0 + sigma * noise
        target = alpha * noise - sigma * x0
        text_audio_duration, audio_duration = self._conditioning(prompts, encoded.seconds)
        transformer = self.pipeline.transformer
        rotary = get_1d_rotary_pos_embed(self.pipeline.rotary_embed_dim, x0.shape[2] + audio_duration.shape[1], use_real=True, repeat_interleave_real=False)
        dtype = transformer.dtype
        prediction = transformer(
            x_t.to(dtype),
            t.to(dtype),
            encoder_hidden_states=text_audio_duration.to(dtype),
            global_hidden_states=audio_duration.to(dtype),
            rotary_embedding=rotary,
            return_dict=False,
        )[0]
        return (prediction.float() - target).square().flatten(1).mean(1)

    @property
    def network(self) -> torch.nn.Module:
        return self.pipeline.transformer

    def add_lora(self, rank: int = 16, alpha: float | None = None) -> list[torch.nn.Parameter]:
        """LoRA on the DiT's attention projections; returns the only trainable parameters (B initialised to 0)."""
        return inject_lora(self.pipeline.transformer, LORA_TARGETS, rank, alpha)

    def reference(self):
        """Adapters disabled: the frozen base model, the DPO reference, with no second copy in memory."""
        return lora_disabled(self.pipeline.transformer)
