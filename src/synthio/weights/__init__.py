"""Weights shipped inside the package (safetensors + config.json + MODEL_CARD.md per model)."""

from __future__ import annotations

from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent


def shipped(name: str) -> Path | None:
    """The folder of a shipped model, or None when this build has no weights for it."""
    folder = WEIGHTS / name
    return folder if (folder / "model.safetensors").is_file() else None
