"""CLAP filtering (Synthio stage 6) and the calibration of its threshold.

A generated clip is kept when ``clap_score(clip, "Sound of a {label}") >= p`` (DESIGN §1 stage 6).
Why calibrate: ``p`` is a point on one CLAP model's score scale; the release's 0.85 belongs to
LAION-CLAP, and the embedded tiny CLAP (logit scale ~15) spreads scores differently. ``auto``
takes a low percentile of the real few-shot clips' scores under their own label: a synthetic clip
is kept when it matches its label at least as well as most real clips do.
"""

from __future__ import annotations

import numpy as np
import torch

from synthio.clap.base import AudioTextScorer, clap_score, template_prompt


def label_scores(scorer: AudioTextScorer, waveforms: list[np.ndarray], sample_rate: int, labels: list[str]) -> torch.Tensor:
    """``(N, L)`` CLAP scores of every clip against every label's template prompt."""
    audio = scorer.embed_audio(waveforms, sample_rate)
    text = scorer.embed_text([template_prompt(label) for label in labels])
    return clap_score(audio[:, None, :].expand(-1, len(labels), -1), text[None].expand(len(audio), -1, -1), scorer.log_logit_scale())


def real_score_report(scores: torch.Tensor, own: list[int]) -> dict:
    """Quantiles of real clips' scores under their own label vs under the other labels."""
    mask = torch.zeros_like(scores, dtype=torch.bool)
    mask[torch.arange(len(own)), torch.tensor(own)] = True
    quantiles = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9]

    def describe(values: torch.Tensor) -> dict:
        return {f"q{int(q * 100):02d}": float(values.quantile(q)) for q in quantiles} | {"mean": float(values.mean())}

    return {"own_label": describe(scores[mask]), "other_labels": describe(scores[~mask])}


def auto_threshold(own_label_scores: np.ndarray | torch.Tensor, percentile: float = 10.0) -> float:
    """The ``percentile``-th percentile of the real clips' own-label scores."""
    values = np.asarray(own_label_scores, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no real clips to calibrate the threshold on")
    return float(np.percentile(values, percentile))
