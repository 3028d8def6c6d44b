"""Stage 0, the few-shot protocol: a stratified, seeded subsample of the train pool.

Paper rule (Synthio, Sec. 5.1): class ``c`` keeps ``max(1, int(count_c * n / total))`` clips, so
the split holds about ``n`` clips (45 for n = 50 on urbansound8k fold 3) with the pool's class
balance. A validation set is carved from the remaining pool with the same rule; checkpoints are
selected on it, never on the test part.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from synthio.errors import SynthioError

if TYPE_CHECKING:
    from synthio.dataset import Clip


def per_class_counts(labels: list[str], n: int) -> dict[str, int]:
    """Paper rule: ``max(1, int(count_c * n / total))`` clips per class."""
    if n <= 0:
        raise SplitError(f"n must be positive, got {n}")
    total = len(labels)
    counts: dict[str, int] = defaultdict(int)
    for label in labels:
        counts[label] += 1
    return {label: max(1, int(count * n / total)) for label, count in sorted(counts.items())}


def stratified_sample(labels: list[str], n: int, rng: np.random.Generator) -> list[int]:
    """Indices of a stratified subsample of size about ``n`` (paper rule), sorted."""
    by_class: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_class[label].append(index)
    chosen: list[int] = []
    for label, k in per_class_counts(labels, n).items():
        pool = by_class[label]
        chosen.extend(pool[i] for i in rng.permutation(len(pool))[: min(k, len(pool))])
    return sorted(chosen)


class SplitError(SynthioError, ValueError):
    """A few-shot size the train pool cannot give."""


def check_n(n: int, labels: list[str]) -> None:
    """Raise unless ``n`` fits the pool and gives every class its clip (the rule keeps at least one per class, so a smaller n would be exceeded silently)."""
    classes = len(set(labels))
    if n > len(labels):
        raise SplitError(f"n={n} exceeds the train pool of {len(labels)} clips; choose n <= {len(labels)}")
    if n < classes:
        raise SplitError(f"n={n} is smaller than the {classes} classes of the train pool: the paper's rule keeps at least one clip per class, so the split would hold {classes} clips, not {n}; choose n >= {classes}")


@dataclass(frozen=True)
class FewShotSplit:
    """Indices into the train pool: the few-shot ``train`` part and the ``val`` part for checkpoint selection."""

    train: list[int]
    val: list[int]


def few_shot_split(labels: list[str], n: int, seed: int, val_n: int | None = None, groups: list[str] | None = None) -> FewShotSplit:
    """Split a pool into few-shot train (paper rule, size ~n) and a disjoint validation set (~val_n, default n).

    With ``groups`` (e.g. the source recording of each clip), validation clips never share a group
    with a train clip: slices of one recording in both parts make validation accuracy a measure
    of memorisation and checkpoint selection pick the most over-fitted model.
    """
    check_n(n, labels)
    if groups is not None and len(groups) != len(labels):
        raise ValueError(f"{len(groups)} groups for {len(labels)} labels")
    rng = np.random.default_rng(seed)
    train = stratified_sample(labels, n, rng)
    taken = set(train)
    if groups is not None:
        train_groups = {groups[i] for i in train}
        taken |= {i for i, g in enumerate(groups) if g in train_groups}
    rest = sorted(set(range(len(labels))) - taken)
    val_n = n if val_n is None else val_n
    if not rest or val_n <= 0:
        return FewShotSplit(train, [])
    val_local = stratified_sample([labels[i] for i in rest], min(val_n, len(rest)), rng)
    return FewShotSplit(train, [rest[i] for i in val_local])


class FewShotSelection(BaseModel):
    """The folder, filters, ``n`` and seed that name one few-shot split (shared by the commands that draw it)."""

    data_dir: Path
    out: Path
    where: list[str] = Field(default_factory=list, description="COLUMN=VALUE filters selecting the train pool")
    n: int = Field(50, ge=1, description="few-shot size (paper rule per class), the same split as `synthio evaluate`")
    seed: int = 0
    skip_bad: bool = False

    def output_settings(self, exclude: dict | None = None) -> dict:
        """The settings that shape an output folder (all but ``out`` and pydantic-style ``exclude``) plus the digest of ``metadata.csv``."""
        from synthio.dataset import METADATA
        from synthio.outdir import file_digest

        settings = self.model_dump(mode="json", exclude={"out": True, **(exclude or {})})
        settings["metadata_digest"] = file_digest(self.data_dir / METADATA)
        return settings

    def check(self) -> None:
        """Check the selection from ``metadata.csv`` alone, before any model loads: the filters match and ``n`` fits the pool."""
        from synthio.dataset import parse_where, read_metadata, select

        check_n(self.n, [row["label"] for row in select(read_metadata(self.data_dir), parse_where(self.where), self.data_dir)])

    def load(self, sample_rate: int) -> list[Clip]:
        """Decode the pool and return the few-shot train clips (skipped rows are listed, or raised unless ``skip_bad``)."""
        from synthio.dataset import load_selection, parse_where
        from synthio.progress import say

        pool, problems = load_selection(self.data_dir, parse_where(self.where), sample_rate, self.skip_bad)
        for problem in problems:
            say("skipped", problem)
        return [pool[i] for i in few_shot_split([c.label for c in pool], self.n, self.seed).train]
