"""Variations of real clips for the diffusers backends: a pipeline call that starts part-way down its scheduler's schedule.

The pipelines set their scheduler's timesteps themselves and loop over all of them, taking
``latents`` as the starting point. ``starting_at`` makes that call run only the schedule's tail
from step ``start`` on: after the pipeline's ``set_timesteps`` the timesteps (and the noise levels
of sigma-based solvers, kept one longer than the timesteps) lose their first ``start`` entries, so
the solver is a consistent, shorter schedule beginning at that noise level. ``noised_start`` puts
clean latents at that level with the scheduler's own ``add_noise``, scaled for the pipeline's
``init_noise_sigma`` multiplication.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


def _truncate(scheduler, start: int) -> None:
    count = len(scheduler.timesteps)
    scheduler.timesteps = scheduler.timesteps[start:]
    sigmas = getattr(scheduler, "sigmas", None)
    if isinstance(sigmas, torch.Tensor) and len(sigmas) == count + 1:
        scheduler.sigmas = sigmas[start:]


@contextmanager
def starting_at(scheduler, start: int) -> Iterator[None]:
    """Inside, ``scheduler.set_timesteps`` keeps only the steps from index ``start`` on."""
    if getattr(scheduler, "order", 1) != 1:
        raise ValueError(f"{type(scheduler).__name__} takes {scheduler.order} model calls per step; variations need a one-call-per-step sampler")
    original = scheduler.set_timesteps

    def truncated(*args, **kwargs):
        original(*args, **kwargs)
        _truncate(scheduler, start)

    scheduler.set_timesteps = truncated
    try:
        yield
    finally:
        del scheduler.set_timesteps


def noised_start(scheduler, steps: int, start: int, clean: torch.Tensor, noise: torch.Tensor, device) -> torch.Tensor:
    """``clean`` latents noised to the level of step ``start`` of ``steps``, divided by ``init_noise_sigma`` (the pipeline multiplies by it)."""
    scheduler.set_timesteps(steps, device=device)
    _truncate(scheduler, start)
    noised = scheduler.add_noise(clean, noise, scheduler.timesteps[:1].repeat(len(clean)))
    return noised / scheduler.init_noise_sigma
