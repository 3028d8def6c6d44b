"""Typed configuration: a pydantic model per command, filled from a YAML file, then CLI overrides."""

from __future__ import annotations

import reprlib
import typing
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError

from synthio.errors import SynthioError

M = TypeVar("M", bound=BaseModel)

Guidance = Annotated[float, Field(ge=0, allow_inf_nan=False, description="classifier-free guidance scale (finite, >= 0)")]


class ConfigError(SynthioError, ValueError):
    """A config file or override that does not validate; the message names the file and the field."""


def load_config(model: type[M], path: str | Path | None = None, overrides: dict[str, Any] | None = None, sections_only: bool = False, fallbacks: dict[str, Any] | None = None) -> M:
    """``model`` from YAML ``path`` (optional) updated with the non-None ``overrides``; unknown keys are errors.

    ``sections_only`` reads just the model's own top-level keys of a larger file (the backend
    sections of an ``augment`` YAML); keys inside those sections are still checked. ``fallbacks``
    fill keys that neither the file nor the overrides set (``--print-config``'s placeholders).
    """
    values: dict[str, Any] = dict(fallbacks or {})
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
        values.update({k: v for k, v in loaded.items() if k in model.model_fields} if sections_only else loaded)
        source = f"{path} and command line"
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    unknown = unknown_keys(model, values)
    if unknown:
        raise ConfigError(f"unknown setting(s) in {source}: " + "; ".join(unknown))
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ConfigError(f"invalid settings (from {source}):\n" + "\n".join(describe_errors(error))) from None


def describe_errors(error: ValidationError) -> list[str]:
    """One line per problem: the setting's dotted name, what is wrong and the value given ("seconds: Input should be greater than 0 (got 0.0)")."""
    lines = []
    for problem in error.errors(include_url=False):
        name = ".".join(str(part) for part in problem["loc"]) or "settings"
        shown = problem["type"] != "missing" and problem["loc"] and not isinstance(problem["input"], dict | list)  # never echo a whole section (it may hold a base_url's credentials)
        given = f" (got {reprlib.repr(problem['input'])})" if shown else ""
        flag = "the DATA_DIR argument" if name == "data_dir" else f"--{name.replace('_', '-')}"
        hint = f" (give {flag} on the command line or {name}: in the YAML)" if problem["type"] == "missing" and len(problem["loc"]) == 1 else ""
        lines.append(f"  {name}: {problem['msg']}{given}{hint}")
    return lines


def section_model(annotation) -> type[BaseModel] | None:
    """The pydantic model a field holds (also inside ``X | None``), else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def unknown_keys(model: type[BaseModel], values: dict[str, Any], prefix: str = "") -> list[str]:
    """Every key of ``values`` (nested sections too) that ``model`` has no field for, each with the valid keys."""
    found = []
    for key, value in values.items():
        field = model.model_fields.get(key)
        if field is None:
            found.append(f"'{prefix}{key}' is not a setting; valid keys{' of ' + prefix.rstrip('.') if prefix else ''}: {', '.join(model.model_fields)}")
        elif isinstance(value, dict) and (section := section_model(field.annotation)) is not None:
            found += unknown_keys(section, value, f"{prefix}{key}.")
    return found


def dump_config(config: BaseModel) -> str:
    """The config as YAML, the same shape ``load_config`` reads."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
