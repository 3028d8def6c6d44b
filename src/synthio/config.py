"""Typed configuration: a pydantic model per command, filled from a YAML file, then CLI overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A config file or override that does not validate; the message names the file and the field."""


def load_config(model: type[M], path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> M:
    """``model`` from YAML ``path`` (optional) updated with the non-None ``overrides``."""
    values: dict[str, Any] = {}
    source = "command line"
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            raise ConfigError(f"{path} is not valid YAML: {error}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path} must hold a mapping of settings, got {type(loaded).__name__}")
        values.update(loaded)
        source = f"{path} and command line"
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ConfigError(f"invalid settings (from {source}):\n{error}") from None


def dump_config(config: BaseModel) -> str:
    """The config as YAML, the same shape ``load_config`` reads."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
