"""The ``TextToAudio`` protocol shared by the embedded model and the diffusers backends.

Sampling takes one prompt, one duration and one seed *per output item*, so batching can never
pair a prompt with another item's audio or randomness. Training goes through ``encode`` (audio
to the model's latent space, once per clip) and ``diffusion_loss`` (one value per item in the
model's own parameterisation, for a shared noise and timestep), which is what Diffusion-DPO needs.
``reference()`` is a context in which trainable adapters are disabled: the frozen reference model
of DPO without a second copy of the weights.

Variations (SDEdit): ``sample`` may start item ``i`` from ``init_audio[i]`` (mono, at the model's
``sample_rate``, exactly ``seconds[i]`` long) encoded and noised to the step that ``init_strength``
s in (0, 1] picks, running only the last ``ceil(s * steps)`` steps; s = 1 (or no init clip) is
generation from pure noise, bit-identical to sampling without ``init_audio``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from synthio.audio import resample

UNET_SAMPLERS = {"ddim": ("DDIMScheduler", {}), "dpmpp-2m": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2}), "unipc": ("UniPCMultistepScheduler", {})}


@dataclass
class EncodedAudio:
    """Latents ``(batch, ...)`` of clips and each clip's duration in seconds (the model may condition on it)."""

    latents: torch.Tensor
    seconds: list[float]

    def __len__(self) -> int:
        return len(self.seconds)

    def select(self, index: list[int] | torch.Tensor) -> EncodedAudio:
        index = torch.as_tensor(index, dtype=torch.long)
        return EncodedAudio(self.latents[index], [self.seconds[i] for i in index.tolist()])


@runtime_checkable
class TextToAudio(Protocol):
    """A conditional diffusion model from text to mono audio at ``sample_rate``.

    ``t`` in ``diffusion_loss`` is a float in (0, 1) per item (0 = clean, 1 = pure noise); each
    backend maps it onto its own schedule. ``noise`` has the latents' shape.
    """

    name: str
    sample_rate: int
    max_seconds: float

    @property
    def network(self) -> torch.nn.Module:
        """The denoising network that ``add_lora`` adapts (what aligned adapter files are saved from)."""
        ...

    def sample(
        self, prompts: list[str], seconds: list[float], steps: int, guidance: float, seeds: list[int], init_audio: list[np.ndarray | None] | None = None, init_strength: float = 1.0
    ) -> list[np.ndarray]: ...

    def encode(self, waveforms: list[np.ndarray], sample_rate: int) -> EncodedAudio: ...

    def diffusion_loss(self, encoded: EncodedAudio, prompts: list[str], t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor: ...

    def add_lora(self, rank: int, alpha: float | None = None) -> list[torch.nn.Parameter]: ...

    def reference(self) -> AbstractContextManager[None]: ...


def expand_per_prompt(prompts: list[str], seconds: list[float], seeds: list[int], num_waveforms_per_prompt: int) -> tuple[list[str], list[float], list[int]]:
    """Repeat each prompt ``k`` times (prompt-major) with seeds ``seed_i * k + j``, so output ``i * k + j`` is prompt i's j-th."""
    if not len(prompts) == len(seconds) == len(seeds):
        raise ValueError(f"need one duration and one seed per prompt: {len(prompts)} prompts, {len(seconds)} durations, {len(seeds)} seeds")
    k = num_waveforms_per_prompt
    return (
        [p for p in prompts for _ in range(k)],
        [s for s in seconds for _ in range(k)],
        [seed * k + j for seed in seeds for j in range(k)],
    )


def check_sample_args(prompts: list[str], seconds: list[float], seeds: list[int], max_seconds: float) -> None:
    """Raise on mismatched lengths, empty prompts or durations outside (0, max_seconds]."""
    if not len(prompts) == len(seconds) == len(seeds):
        raise ValueError(f"need one duration and one seed per prompt: {len(prompts)} prompts, {len(seconds)} durations, {len(seeds)} seeds")
    for prompt, s in zip(prompts, seconds):
        if not prompt or not prompt.strip():
            raise ValueError("empty prompt")
        if not 0 < s <= max_seconds:
            raise ValueError(f"duration {s} s for {prompt!r} is outside (0, {max_seconds}] s, this model's range" if math.isfinite(max_seconds) else f"duration {s} s for {prompt!r} must be positive")


def check_init_args(init_audio: list[np.ndarray | None] | None, init_strength: float, seconds: list[float], sample_rate: int) -> bool:
    """Raise on a strength outside (0, 1] or init clips that are not one per prompt, mono, ``seconds[i]`` long at ``sample_rate``; True if sampling starts from any clip."""
    if not (math.isfinite(init_strength) and 0 < init_strength <= 1):
        raise ValueError(f"init_strength {init_strength} is outside (0, 1] (1 = generate from pure noise, small = close to the init clip)")
    if init_audio is None:
        return False
    if len(init_audio) != len(seconds):
        raise ValueError(f"need one init clip (or None) per prompt: {len(seconds)} prompts, {len(init_audio)} init clips")
    for i, clip in enumerate(init_audio):
        if clip is None:
            continue
        expected = max(1, round(seconds[i] * sample_rate))
        if np.ndim(clip) != 1 or len(clip) != expected:
            raise ValueError(f"init clip {i} has shape {np.shape(clip)}, but {seconds[i]} s of mono audio at the model's {sample_rate} Hz is ({expected},): resample it to {sample_rate} Hz and cut it to the duration")
    return init_strength < 1 and any(clip is not None for clip in init_audio)


def unet_scheduler(sampler: str, config, model: str, hint: str = "", **options):
    """The diffusers scheduler of a UNet model's ``sampler`` (``UNET_SAMPLERS``) built from a scheduler ``config``; an unknown name is a ``ConfigError`` naming ``model``."""
    import diffusers

    from synthio.config import ConfigError

    if sampler not in UNET_SAMPLERS:
        raise ConfigError(f"t2a sampler {sampler!r} is not one of {model}'s: {', '.join(UNET_SAMPLERS)}{hint}")
    name, defaults = UNET_SAMPLERS[sampler]
    return getattr(diffusers, name).from_config(config, **defaults, **options)


def first_step(steps: int, init_strength: float) -> int:
    """Index of the first of ``steps`` sampler steps that a variation at ``init_strength`` runs (it runs the last ``ceil(s * steps)``, at least one)."""
    return steps - max(1, min(steps, math.ceil(init_strength * steps - 1e-9)))


def group_for_sampling(sizes: list[float], init_audio: list[np.ndarray | None] | None) -> Iterator[tuple[float, list[int], bool]]:
    """Indices grouped by equal size (a duration, or a latent length) and by whether they start from an init clip (all from noise when ``init_audio`` is None)."""
    for size, index in group_by_duration(sizes):
        for from_init in (False, True):
            part = [i for i in index if (init_audio is not None and init_audio[i] is not None) == from_init]
            if part:
                yield size, part, from_init


def prepare_waveforms(waveforms: list[np.ndarray], sample_rate: int, model_sample_rate: int, max_seconds: float) -> tuple[list[np.ndarray], list[float]]:
    """Resample clips to the model's rate and return them with their durations; raise if one is too long for the model."""
    resampled = [resample(np.asarray(w, np.float32), sample_rate, model_sample_rate) for w in waveforms]
    seconds = [len(w) / model_sample_rate for w in resampled]
    if not resampled:
        raise ValueError("no waveforms to encode")
    if max(seconds) > max_seconds + 1e-9:
        raise ValueError(f"a {max(seconds):.2f} s clip exceeds the model window of {max_seconds:.2f} s")
    return resampled, seconds


def group_by_duration(seconds: list[float]) -> Iterator[tuple[float, list[int]]]:
    """Indices grouped by equal duration, in first-seen order."""
    groups: dict[float, list[int]] = {}
    for i, s in enumerate(seconds):
        groups.setdefault(float(s), []).append(i)
    yield from groups.items()
