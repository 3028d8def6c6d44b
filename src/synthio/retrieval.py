"""Retrieval from a pool folder: the clips nearest in CLAP space to each label's "Sound of a {label}".

One home for the ``retrieval`` method of ``synthio evaluate`` (the picked clips are training rows)
and for ``augment``'s ``init_pool`` (the picked clips are where variations start).
"""

from __future__ import annotations

from pathlib import Path

import torch

from synthio.clap.base import template_prompt
from synthio.config import ConfigError
from synthio.dataset import Clip, DatasetError, load_selection
from synthio.progress import say


def embed_pool(folder: Path, clap, sample_rate: int, setting: str) -> tuple[list[Clip], torch.Tensor]:
    """Every usable clip of ``folder`` (bad rows skipped, with a message) decoded at ``sample_rate``, and its CLAP audio embedding (rows); ``setting`` (the flag or key naming the folder) heads the errors."""
    try:
        pool, problems = load_selection(folder, None, sample_rate, skip_bad=True)
    except DatasetError as error:
        raise ConfigError(f"{setting} {folder}: {error}") from None
    if problems:
        say("skipped", f"{len(problems)} row(s) of {folder} (e.g. {problems[0]})")
    if not pool:
        raise ConfigError(f"{setting} {folder}: no usable clip to retrieve from (all {len(problems)} row(s) skipped); fix its files or name another folder")
    return pool, clap.embed_audio([c.samples for c in pool], sample_rate)


def nearest_to_labels(clap, audio: torch.Tensor, counts: dict[str, int]) -> list[tuple[int, str]]:
    """``(pool index, label)`` for each label in sorted order: its ``counts[label]`` pool clips of highest cosine to its template prompt, nearest first."""
    picked: list[tuple[int, str]] = []
    for label in sorted(counts):
        text = clap.embed_text([template_prompt(label)])[0]
        picked += [(i, label) for i in (audio @ text).argsort(descending=True)[: counts[label]].tolist()]
    return picked
