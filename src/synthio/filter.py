"""CLAP filtering (Synthio stage 6), its two rules and the calibration of their thresholds.

A generated clip is kept when ``clap_score(clip, "Sound of a {label}") >= p`` (Synthio, Ghosh et al. 2025, stage 6; docs/pipeline.md).
Why calibrate: ``p`` is a point on one CLAP model's score scale; the release's 0.85 belongs to
LAION-CLAP, and the embedded tiny CLAP (logit scale ~15) spreads scores differently. ``auto``
takes a low percentile of the real few-shot clips' scores under their own label: a synthetic clip
is kept when it matches its label at least as well as most real clips do.

Two rules, both computed from one matrix of cosines between each clip and every label's template
text (``LabelMatch``):

- ``score`` (the release's): ``sigmoid(exp(logit_scale) * cos(clip, own label)) >= p``. Pitfall:
  a CLAP whose logit scale is large for its cosines saturates (the tiny CLAP v1 gives real clips
  0.99996 under their own label and 0.9957 under others; v2 ships a calibration), so no threshold separates anything.
- ``margin``: ``cos(clip, own label) - max cos(clip, other label) >= m``; ``m = 0`` keeps a clip
  exactly when its label ranks first among the dataset's labels. Scale-free, so it works with any
  CLAP; ``auto`` takes the percentile of the real clips' own margins, as for ``score``.

Multi-label clips (``set_values``): a clip is scored against each of its labels and kept when its
*weakest* label passes: the smallest own-label score, or the smallest margin of an own label over
the best label the clip does not carry, reaches the threshold. Every label must be heard, because
a label that is not becomes a wrong training target; a mean would let one loud label hide a
missing one. A clip that carries every label of the split has no label it lacks, so no margin
(NaN): under the margin rule it is judged by the score rule at the score threshold (``kept``), and
``auto_threshold`` leaves it out of the margin's calibration. ``auto`` calibrates on the same
statistic of the real clips; a minimum over more labels is lower, and real clips often carry one
label while synthetic ones carry 2-4, so the rule is stricter for synthetic clips than for real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from synthio.clap.base import AudioTextScorer, score_of_cosines, template_prompt

FilterRule = Literal["score", "margin"]


@dataclass
class LabelMatch:
    """Cosines ``(N, L)`` of N clips to L labels' template texts, and the scorer's log logit scale and bias: what both rules read."""

    cosines: torch.Tensor
    log_logit_scale: float
    logit_bias: float = 0.0

    @classmethod
    def of_embeddings(cls, audio: torch.Tensor, text: torch.Tensor, log_logit_scale: float, logit_bias: float = 0.0) -> LabelMatch:
        """From audio ``(N, D)`` and label-text ``(L, D)`` embeddings (normalised here)."""
        return cls(F.normalize(audio.float(), dim=-1) @ F.normalize(text.float(), dim=-1).T, float(log_logit_scale), float(logit_bias))

    @classmethod
    def of_scorer(cls, scorer: AudioTextScorer, audio: torch.Tensor, labels: list[str]) -> LabelMatch:
        """From audio embeddings ``(N, D)`` and ``scorer``'s embeddings of each label's template prompt, with its scale and bias."""
        return cls.of_embeddings(audio, scorer.embed_text([template_prompt(label) for label in labels]), scorer.log_logit_scale(), scorer.logit_bias())

    def scores(self) -> torch.Tensor:
        """``(N, L)`` CLAP scores ``sigmoid(exp(logit_scale) * cos + logit_bias)``."""
        return score_of_cosines(self.cosines, self.log_logit_scale, self.logit_bias)

    def margins(self, own: list[int]) -> torch.Tensor:
        """``(N,)`` cosine to the own label minus the best cosine to any other label (> 0: the own label ranks first)."""
        if self.cosines.shape[1] < 2:
            raise ValueError("a margin needs at least two labels")
        index = torch.arange(len(own))
        own_t = torch.as_tensor(own, dtype=torch.long)
        others = self.cosines.clone()
        others[index, own_t] = -torch.inf
        return self.cosines[index, own_t] - others.max(1).values

    def set_values(self, own_sets: list[list[int]], rule: FilterRule) -> torch.Tensor:
        """``(N,)`` the multi-label keep value: the weakest own label's score, or its margin over the best non-label (see the module docstring)."""
        cosines = self.cosines if rule == "margin" else self.scores()
        values = []
        for k, own in enumerate(own_sets):
            mine = cosines[k, own]
            if rule == "score":
                values.append(mine.min())
                continue
            others = torch.ones(cosines.shape[1], dtype=torch.bool)
            others[own] = False
            values.append(mine.min() - cosines[k, others].max() if others.any() else torch.tensor(torch.nan))  # every label carried: no margin
        return torch.stack(values) if values else torch.zeros(0)

    def values(self, own: list[int] | list[list[int]], rule: FilterRule) -> torch.Tensor:
        """``(N,)`` what ``rule`` compares with its threshold: the own-label score or the margin (``set_values`` when each clip has a list of labels)."""
        if own and isinstance(own[0], list):
            return self.set_values(own, rule)
        return self.scores()[torch.arange(len(own)), torch.as_tensor(own, dtype=torch.long)] if rule == "score" else self.margins(own)

    def kept(self, own: list[int] | list[list[int]], rule: FilterRule, threshold: float, score_threshold: float) -> torch.Tensor:
        """``(N,)`` whether each clip passes ``rule`` at ``threshold``; a clip without a margin (it carries every label) passes the score rule at ``score_threshold`` instead."""
        values = self.values(own, rule)
        return torch.where(values.isnan(), self.values(own, "score") >= score_threshold, values >= threshold)


def label_match(scorer: AudioTextScorer, waveforms: list[np.ndarray], sample_rate: int, labels: list[str]) -> LabelMatch:
    """Cosines of every clip to every label's template prompt ("Sound of a {label}")."""
    return LabelMatch.of_scorer(scorer, scorer.embed_audio(waveforms, sample_rate), labels)


def prototype_match(clips: torch.Tensor, references: torch.Tensor, reference_own: list[int], num_labels: int, leave_one_out: bool = False) -> LabelMatch:
    """Cosines of clip audio embeddings ``(N, D)`` to each label's prototype: the mean L2-normalised embedding of its real clips.

    With ``leave_one_out`` the clips are the references themselves and each is compared with its
    own label's prototype made without it (a label with one real clip gets NaN there).
    """
    clips, references = F.normalize(clips.float(), dim=-1), F.normalize(references.float(), dim=-1)
    own = torch.as_tensor(reference_own, dtype=torch.long)
    sums = torch.zeros(num_labels, references.shape[1]).index_add_(0, own, references)
    counts = torch.bincount(own, minlength=num_labels).float()
    cosines = clips @ F.normalize(sums, dim=-1).T
    if leave_one_out:
        rest = sums[own] - references
        cosines[torch.arange(len(own)), own] = torch.where(counts[own] > 1, (clips * F.normalize(rest, dim=-1)).sum(-1), torch.nan)
    return LabelMatch(cosines, 0.0)


def label_scores(scorer: AudioTextScorer, waveforms: list[np.ndarray], sample_rate: int, labels: list[str]) -> torch.Tensor:
    """``(N, L)`` CLAP scores of every clip against every label's template prompt."""
    return label_match(scorer, waveforms, sample_rate, labels).scores()


def real_score_report(scores: torch.Tensor, own: list[int] | list[list[int]]) -> dict:
    """Quantiles of real clips' scores under their own label (each of them, for multi-label clips) vs under the other labels."""
    mask = torch.zeros_like(scores, dtype=torch.bool)
    for k, labels in enumerate(own):
        mask[k, labels] = True
    return {"own_label": quantiles(scores[mask]), "other_labels": quantiles(scores[~mask]) if (~mask).any() else None}


def quantiles(values: torch.Tensor) -> dict[str, float]:
    """The 5th to 90th percentiles and the mean of ``values``, keyed ``q05`` ... ``q90``, ``mean``."""
    values = values.float()
    return {f"q{int(q * 100):02d}": float(values.quantile(q)) for q in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9)} | {"mean": float(values.mean())}


def auto_threshold(own_label_scores: np.ndarray | torch.Tensor, percentile: float = 10.0) -> float:
    """The ``percentile``-th percentile of the real clips' own-label scores (NaN, a clip without a margin, left out)."""
    values = np.asarray(own_label_scores, dtype=np.float64).ravel()
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise ValueError("no real clips to calibrate the threshold on")
    return float(np.percentile(values, percentile))
