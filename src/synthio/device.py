"""Where models run: the device a setting names and the dtype a large model loads in there.

Devices travel as strings (``"cpu"``, ``"cuda"``, ``"cuda:1"``), as every backend's constructor
takes them; code that needs a ``torch.device`` wraps the string.
"""

from __future__ import annotations

import re

import torch

from synthio.errors import SynthioError


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when present, else ``cpu``; ``cpu``, ``cuda`` and ``cuda:N`` unchanged, refused with the fix when this torch has no CUDA."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise SynthioError(f"device {device!r}: use auto, cpu, cuda or cuda:N")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SynthioError(f"device {device!r}: this torch build sees no CUDA GPU (torch.cuda.is_available() is False); use cpu or auto")
    return device


def default_dtype(device: str) -> torch.dtype:
    """bf16 on CUDA where supported (else fp16), fp32 on CPU."""
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32
