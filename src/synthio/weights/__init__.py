"""Weights shipped inside the package (safetensors + config.json + MODEL_CARD.md per model)."""

from __future__ import annotations

import json
from pathlib import Path

from synthio.errors import MissingFileError, ModelFolderError

WEIGHTS = Path(__file__).resolve().parent


def shipped(name: str) -> Path | None:
    """The folder of a shipped model, or None when this build has no weights for it."""
    folder = WEIGHTS / name
    return folder if (folder / "model.safetensors").is_file() else None


def read_model_folder(folder: str | Path, config_class, what: str) -> tuple:
    """``(config_class(**config.json), the tensors of model.safetensors)`` of a folder holding ``what``; anything else is an error naming the folder and the file."""
    from safetensors.torch import load_file

    folder = Path(folder)
    for name in ("config.json", "model.safetensors"):
        if not (folder / name).is_file():
            raise MissingFileError(f"{folder} has no {name}, so it does not hold {what}: point at the folder it was saved to")
    try:
        config = config_class(**json.loads((folder / "config.json").read_text()))
    except (ValueError, TypeError) as error:
        raise ModelFolderError(f"{folder / 'config.json'} is not the configuration of {what} ({error}): point at the folder {what} was saved to") from None
    try:
        state = load_file(str(folder / "model.safetensors"))
    except Exception as error:  # safetensors raises its own SafetensorError for a cut-short or foreign file
        raise ModelFolderError(f"{folder / 'model.safetensors'} cannot be read as safetensors ({error}): the copy is incomplete or the file is something else; copy the folder again") from None
    return config, state


def load_state(module, state: dict, folder: str | Path, what: str) -> None:
    """``module.load_state_dict(state)``, where weights of another shape or name are an error naming the folder."""
    try:
        module.load_state_dict(state)
    except RuntimeError as error:
        raise ModelFolderError(f"{Path(folder) / 'model.safetensors'} does not hold the weights of {what} its config.json describes ({str(error).splitlines()[0]}): point at the folder it was saved to") from None
