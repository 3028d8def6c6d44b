"""Zero-shot classification with an ``AudioTextScorer``: the label whose "Sound of a {label}" text is nearest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from synthio.atomic import write_text_atomic
from synthio.clap.base import AudioTextScorer, template_prompt
from synthio.config import ConfigError
from synthio.dataset import Clip, is_multi_label_rows, load_selection, parse_where, read_metadata, select
from synthio.errors import SynthioError
from synthio.outdir import check_output, claim_output

RESULT = "zeroshot.json"


def zero_shot(scorer: AudioTextScorer, clips: list[Clip], labels: list[str]) -> dict:
    """``{"accuracy", "per_class": {label: accuracy}, "num_clips"}`` with prompts ``template_prompt(label)``."""
    if not clips:
        raise SynthioError("no clips to classify: the selection is empty")
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


def zero_shot_folder(
    scorer: AudioTextScorer, data_dir: str | Path, where: list[str] | None, out: str | Path, skip_bad: bool = False, sample_rate: int = 16000, force: bool = False
) -> dict:
    """``zero_shot`` over the selected rows of a folder, written to ``OUT/zeroshot.json`` (with the scorer and the skipped rows); ``out`` claimed as in ``synthio.outdir``."""
    settings = {"data_dir": str(Path(data_dir).resolve()), "where": where or [], "scorer": scorer.name, "skip_bad": skip_bad, "sample_rate": sample_rate}
    claim = {"command": "zeroshot", "settings": settings, "inputs": (Path(data_dir),), "force": force, "outputs": (RESULT,)}
    if is_multi_label_rows(select(read_metadata(data_dir), parse_where(where), data_dir)):
        raise ConfigError(f"{data_dir} is multi-label (a labels column): zeroshot scores one label per clip; select single-label rows or a single-label folder")
    check_output(Path(out), **claim)  # before the scoring, so a refused folder costs nothing
    clips, problems = load_selection(data_dir, parse_where(where), sample_rate, skip_bad)
    result = zero_shot(scorer, clips, sorted({c.label for c in clips}))
    result.update(scorer=scorer.name, skipped=[str(p) for p in problems])
    with claim_output(out, **claim) as folder:
        write_text_atomic(folder / RESULT, json.dumps(result, indent=2))
    return result
