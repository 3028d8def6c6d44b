"""Where models run: the device a setting names and the dtype a large model loads in there.

Devices travel as strings (``"cpu"``, ``"cuda"``, ``"cuda:1"``), as every backend's constructor
takes them; code that needs a ``torch.device`` wraps the string.
"""

from __future__ import annotations

import torch


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when present, else ``cpu``; any other name unchanged."""
    return ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device


def default_dtype(device: str) -> torch.dtype:
    """bf16 on CUDA where supported (else fp16), fp32 on CPU."""
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32
