"""The resumable trainers' checkpoint: one ``torch.save`` dict, written atomically, read back tensors-only.

DPO alignment, CLAP pretraining and T2A pretraining each save ``{weights, optimizer, scheduler?,
step or epoch, history...}`` to ``OUT/checkpoint.pt`` every few steps and resume from it on
rerun. Loading uses ``weights_only=True``, so a checkpoint holds tensors, numbers, strings and
containers of them, never code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from synthio.atomic import write_atomic


def load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The state saved at ``path``, or None when there is none yet."""
    return torch.load(path, weights_only=True) if path.exists() else None


def save_checkpoint(path: Path, state: dict[str, Any]) -> Path:
    """``torch.save`` ``state`` to ``path`` atomically."""
    return write_atomic(path, lambda tmp: torch.save(state, tmp))


def restore(path: Path, parts: dict[str, Any]) -> dict[str, Any] | None:
    """Load each of ``parts`` (name -> model, optimiser or scheduler) from the checkpoint at ``path``; the saved state (for its step or epoch), or None when there is none yet."""
    state = load_checkpoint(path)
    if state is not None:
        for name, part in parts.items():
            part.load_state_dict(state[name])
    return state
