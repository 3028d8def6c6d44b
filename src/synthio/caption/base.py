"""The ``Captioner`` protocol and the embedded descriptor captioner."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from synthio.caption.descriptors import descriptive_caption


@runtime_checkable
class Captioner(Protocol):
    """Audio -> text. ``labels`` (one per clip) may be used or ignored; the paper's captioner ignores them."""

    name: str

    def caption(self, waveforms: list[np.ndarray], sample_rate: int, labels: list[str] | None = None) -> list[str]: ...


class DescriptorCaptioner:
    """The offline default: the clip's label plus words from measured acoustic descriptors.

    It cannot name events it was not told about (no co-occurring sounds yet), so it needs labels.
    """

    name = "embedded:descriptors"

    def caption(self, waveforms: list[np.ndarray], sample_rate: int, labels: list[str] | None = None) -> list[str]:
        if labels is None or len(labels) != len(waveforms):
            raise ValueError("DescriptorCaptioner needs one label per waveform")
        return [descriptive_caption(label, w, sample_rate) for w, label in zip(waveforms, labels)]
