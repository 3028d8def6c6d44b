"""Zero-shot classification with an ``AudioTextScorer``: the label whose "Sound of a {label}" text is nearest."""

from __future__ import annotations

import numpy as np
import torch

from synthio.clap.base import AudioTextScorer, template_prompt
from synthio.dataset import Clip


def zero_shot(scorer: AudioTextScorer, clips: list[Clip], labels: list[str]) -> dict:
    """``{"accuracy", "per_class": {label: accuracy}, "num_clips"}`` with prompts ``template_prompt(label)``."""
    if not clips:
        raise ValueError("no clips to classify")
    text = scorer.embed_text([template_prompt(label) for label in labels])
    predictions = []
    by_rate: dict[int, list[int]] = {}
    for i, clip in enumerate(clips):
        by_rate.setdefault(clip.sample_rate, []).append(i)
    audio = torch.zeros(len(clips), text.shape[1])
    for rate, index in by_rate.items():
        audio[index] = scorer.embed_audio([clips[i].samples for i in index], rate)
    predictions = (audio @ text.T).argmax(1).numpy()
    truth = np.array([labels.index(c.label) for c in clips])
    per_class = {label: float((predictions[truth == k] == k).mean()) for k, label in enumerate(labels) if (truth == k).any()}
    return {"accuracy": float((predictions == truth).mean()), "per_class": per_class, "num_clips": len(clips)}
