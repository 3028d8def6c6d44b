"""The ``AudioTextScorer`` protocol and the one score formula every backend uses.

Synthio (Ghosh et al. 2025) stage 6, docs/pipeline.md: ``score = sigmoid(exp(logit_scale) *
cos(a, t))`` with L2-normalised embeddings. Every backend returns its *log* logit scale and a
logit bias (0 but for a CLAP calibrated on held-out clips, ``synthio.clap.calibration``) and lets
:func:`clap_score` apply the formula, so a threshold ``p`` means the same computation on every
backend (not the same calibration: see ``synthio augment --threshold auto``).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import torch
import torch.nn.functional as F


def template_prompt(label: str) -> str:
    """The paper's template caption for a label."""
    return f"Sound of a {label}"


def clap_score(audio_embeddings: torch.Tensor, text_embeddings: torch.Tensor, log_logit_scale: float | torch.Tensor, logit_bias: float = 0.0) -> torch.Tensor:
    """Row-wise ``sigmoid(exp(log_logit_scale) * cos(a_i, t_i) + logit_bias)`` for paired ``(N, D)`` embeddings."""
    if audio_embeddings.shape != text_embeddings.shape:
        raise ValueError(f"paired embeddings must have one shape, got {tuple(audio_embeddings.shape)} and {tuple(text_embeddings.shape)}")
    cosine = (F.normalize(audio_embeddings.float(), dim=-1) * F.normalize(text_embeddings.float(), dim=-1)).sum(-1)
    return score_of_cosines(cosine, log_logit_scale, logit_bias)


def score_of_cosines(cosines: torch.Tensor, log_logit_scale: float | torch.Tensor, logit_bias: float = 0.0) -> torch.Tensor:
    """``sigmoid(exp(log_logit_scale) * cosines + logit_bias)`` elementwise: the score formula's one home."""
    return torch.sigmoid(torch.as_tensor(log_logit_scale, dtype=torch.float32).exp() * cosines + logit_bias)


@runtime_checkable
class AudioTextScorer(Protocol):
    """A CLAP-like model: L2-normalised audio and text embeddings in one space.

    ``embed_audio`` takes mono float32 waveforms at ``sample_rate`` (any rate: the backend
    resamples to its own ``model_sample_rate`` at the boundary) and returns ``(N, D)``.
    """

    name: str
    model_sample_rate: int

    def embed_audio(self, waveforms: list[np.ndarray], sample_rate: int) -> torch.Tensor: ...

    def embed_text(self, texts: list[str]) -> torch.Tensor: ...

    def log_logit_scale(self) -> float: ...

    def logit_bias(self) -> float: ...


def score(scorer: AudioTextScorer, waveforms: list[np.ndarray], sample_rate: int, texts: list[str]) -> torch.Tensor:
    """CLAP score of each waveform against its paired text, shape ``(N,)``."""
    if len(waveforms) != len(texts):
        raise ValueError(f"{len(waveforms)} waveforms but {len(texts)} texts")
    return clap_score(scorer.embed_audio(waveforms, sample_rate), scorer.embed_text(texts), scorer.log_logit_scale(), scorer.logit_bias())
