"""LoRA on any torch module with peft, switchable off for the DPO reference, saved as safetensors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from synthio.atomic import write_atomic
from synthio.errors import SynthioError


def inject_lora(module: torch.nn.Module, target_modules: list[str], rank: int = 16, alpha: float | None = None) -> list[torch.nn.Parameter]:
    """Add LoRA layers (B initialised to zero, so outputs are unchanged) and return only their parameters as trainable."""
    from peft import LoraConfig, inject_adapter_in_model

    config = LoraConfig(r=rank, lora_alpha=alpha or rank, init_lora_weights=True, target_modules=target_modules)
    inject_adapter_in_model(config, module)
    params = []
    for name, p in module.named_parameters():
        p.requires_grad_("lora_" in name)
        if "lora_" in name:
            params.append(p)
    if not params:
        raise ValueError(f"no module matched {target_modules}; LoRA was not added")
    return params


def _lora_layers(module: torch.nn.Module) -> Iterator:
    from peft.tuners.tuners_utils import BaseTunerLayer

    return (m for m in module.modules() if isinstance(m, BaseTunerLayer))


@contextmanager
def lora_disabled(module: torch.nn.Module):
    """Within the context, every LoRA layer of ``module`` is bypassed (the base weights alone)."""
    layers = list(_lora_layers(module))
    for layer in layers:
        layer.enable_adapters(False)
    try:
        yield
    finally:
        for layer in layers:
            layer.enable_adapters(True)


def lora_state_dict(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The LoRA tensors only (what an aligned adapter file holds)."""
    return {name: p.detach().cpu().contiguous() for name, p in module.named_parameters() if "lora_" in name}


def save_lora(module: torch.nn.Module, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    from safetensors.torch import save_file

    state = lora_state_dict(module)
    return write_atomic(path, lambda tmp: save_file(state, str(tmp), metadata=metadata))


def load_lora(module: torch.nn.Module, path: str | Path) -> None:
    """Load LoRA tensors saved by ``save_lora`` into a module that already has the same LoRA layers."""
    from safetensors.torch import load_file

    state = load_file(str(path))
    own = dict(module.named_parameters())
    missing = [k for k in state if k not in own]
    if missing:
        raise SynthioError(f"{path} holds LoRA tensors this model lacks (e.g. {missing[0]}); add LoRA with the same rank and targets first")
    with torch.no_grad():
        for name, tensor in state.items():
            if own[name].shape != tensor.shape:
                raise SynthioError(f"{path}: {name} has shape {tuple(tensor.shape)}, the model {tuple(own[name].shape)}")
            own[name].copy_(tensor)
