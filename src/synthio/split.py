"""Stage 0, the few-shot protocol: a stratified, seeded subsample of the train pool.

Paper rule (Synthio, Sec. 5.1): class ``c`` keeps ``max(1, int(count_c * n / total))`` clips, so
the split holds about ``n`` clips (45 for n = 50 on urbansound8k fold 3) with the pool's class
balance. A validation set is carved from the remaining pool with the same rule; checkpoints are
selected on it, never on the test part.

Multi-label pools (each row a tuple of labels) cannot be split per class. The release draws ``n``
rows at random, which can leave a rare label with no clip; here a split is drawn by iterative
stratification (Sechidis, Tsoumakas and Vlahavas, ECML PKDD 2011) adapted to draw one subset of
exactly ``n`` rows that holds every label (``iterative_stratified_sample``), so ``n >= number of
labels`` is required. Validation is carved from the rest the same way (every label present when the
rest and ``val_n`` allow).
"""

from __future__ import annotations

from collections import Counter, defaultdict
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


def iterative_stratified_sample(label_sets: list[tuple[str, ...]], n: int, rng: np.random.Generator) -> list[int]:
    """Indices (sorted) of exactly ``min(n, len(label_sets))`` multi-label rows holding every label when ``n >= number of labels``.

    1. Iterative stratification into the subset (wanted share ``n / N`` of each label's rows, at least one)
       and the rest: take the label with the fewest unassigned rows (seeded tie-break); give each of its
       rows, in seeded order, to the part that still wants the most of that label (ties: the part that
       wants the most rows, then a seeded coin); update both parts' wants for every label of the row.
    2. A label the subset lacks gets one of its rows moved in (rarest label first).
    3. Exact size: while too large, drop the row whose labels are most over-represented among the rows
       whose removal keeps every label present; while too small, add the rest's row whose labels are
       most under-represented (ties: the lowest index).
    """
    total = len(label_sets)
    n = min(n, total)
    sets = [tuple(dict.fromkeys(s)) for s in label_sets]
    counts = Counter(label for s in sets for label in s)
    labels = sorted(counts)
    wanted = {label: counts[label] * n / total for label in labels}
    want = {True: {label: max(1.0, wanted[label]) for label in labels}, False: {label: counts[label] - max(1.0, wanted[label]) for label in labels}}
    size = {True: float(n), False: float(total - n)}
    rows_of: dict[str, list[int]] = defaultdict(list)
    for index, s in enumerate(sets):
        for label in s:
            rows_of[label].append(index)
    unassigned, left = set(range(total)), Counter(counts)
    chosen: set[int] = set()
    while unassigned:
        live = [label for label in labels if left[label] > 0]
        if not live:  # rows without labels: fill the subset first
            for index in sorted(unassigned):
                if len(chosen) < n:
                    chosen.add(index)
            break
        fewest = min(left[label] for label in live)
        tied = [label for label in live if left[label] == fewest]
        label = tied[int(rng.integers(len(tied)))]
        rows = [i for i in rows_of[label] if i in unassigned]
        for i in (rows[k] for k in rng.permutation(len(rows))):
            a, b = want[True][label], want[False][label]
            coin = rng.random() < 0.5
            part = a > b or (a == b and (size[True] > size[False] or (size[True] == size[False] and coin)))
            if part:
                chosen.add(i)
            size[part] -= 1
            for other in sets[i]:
                want[part][other] -= 1
                left[other] -= 1
            unassigned.discard(i)
    held = Counter(label for i in chosen for label in sets[i])
    for label in sorted(labels, key=lambda label: (counts[label], label)):
        if held[label] == 0:
            candidates = [i for i in rows_of[label] if i not in chosen]
            i = candidates[int(rng.integers(len(candidates)))]
            chosen.add(i)
            held.update(sets[i])

    def excess(i: int) -> float:
        return sum(held[label] - wanted[label] for label in sets[i]) / max(1, len(sets[i]))

    while len(chosen) > n:
        removable = [i for i in sorted(chosen) if all(held[label] > 1 for label in sets[i])] or sorted(chosen)
        i = max(removable, key=lambda i: (excess(i), -i))
        chosen.remove(i)
        held.subtract(sets[i])
    while len(chosen) < n:
        i = min((i for i in range(total) if i not in chosen), key=lambda i: (excess(i), i))
        chosen.add(i)
        held.update(sets[i])
    return sorted(chosen)


def holds_label_sets(labels: list[str] | list[tuple[str, ...]]) -> bool:
    """Whether ``labels`` are the targets of a multi-label pool (one tuple of labels per clip, ``Clip.target``)."""
    return bool(labels) and isinstance(labels[0], tuple)


def sample(labels: list[str] | list[tuple[str, ...]], n: int, rng: np.random.Generator) -> list[int]:
    """The paper rule for single-label pools; iterative stratification when each row is a tuple of labels."""
    if holds_label_sets(labels):
        return iterative_stratified_sample(labels, n, rng)
    return stratified_sample(labels, n, rng)


class SplitError(SynthioError, ValueError):
    """A few-shot size the train pool cannot give."""


def check_n(n: int, labels: list[str] | list[tuple[str, ...]]) -> None:
    """Raise unless ``n`` fits the pool and gives every class its clip (the rule keeps at least one per class, so a smaller n would be exceeded silently)."""
    if n > len(labels):
        raise SplitError(f"n={n} exceeds the train pool of {len(labels)} clips; choose n <= {len(labels)}")
    if holds_label_sets(labels):
        distinct = len({label for s in labels for label in s})
        if n < distinct:
            raise SplitError(f"n={n} is smaller than the {distinct} labels of the multi-label train pool: the split keeps every label present; choose n >= {distinct}")
        return
    classes = len(set(labels))
    if n < classes:
        raise SplitError(f"n={n} is smaller than the {classes} classes of the train pool: the paper's rule keeps at least one clip per class, so the split would hold {classes} clips, not {n}; choose n >= {classes}")


@dataclass(frozen=True)
class FewShotSplit:
    """Indices into the train pool: the few-shot ``train`` part and the ``val`` part for checkpoint selection."""

    train: list[int]
    val: list[int]


def few_shot_split(labels: list[str] | list[tuple[str, ...]], n: int, seed: int, val_n: int | None = None, groups: list[str] | None = None) -> FewShotSplit:
    """Split a pool into few-shot train (paper rule, size ~n) and a disjoint validation set (~val_n, default n).

    ``labels`` holds one label per clip, or one tuple of labels per clip for a multi-label pool
    (then both parts are drawn by ``iterative_stratified_sample``, train with exactly ``n`` rows).

    With ``groups`` (e.g. the source recording of each clip), validation clips never share a group
    with a train clip: slices of one recording in both parts make validation accuracy a measure
    of memorisation and checkpoint selection pick the most over-fitted model. In a multi-label pool
    a group value may name several groups joined by ";" (a mixture of several recordings); a
    validation clip then shares none of them with any train clip.
    """
    from synthio.dataset import LABEL_SEPARATOR

    check_n(n, labels)
    if groups is not None and len(groups) != len(labels):
        raise ValueError(f"{len(groups)} groups for {len(labels)} labels")
    rng = np.random.default_rng(seed)
    train = sample(labels, n, rng)
    taken = set(train)
    if groups is not None:
        sets = [set(g.split(LABEL_SEPARATOR)) if holds_label_sets(labels) else {g} for g in groups]
        train_groups = set().union(*(sets[i] for i in train))
        taken |= {i for i, g in enumerate(sets) if g & train_groups}
    rest = sorted(set(range(len(labels))) - taken)
    val_n = n if val_n is None else val_n
    if not rest or val_n <= 0:
        return FewShotSplit(train, [])
    val_local = sample([labels[i] for i in rest], min(val_n, len(rest)), rng)
    return FewShotSplit(train, [rest[i] for i in val_local])


class FewShotSelection(BaseModel):
    """The folder, filters, ``n`` and seed that name one few-shot split (shared by the commands that draw it)."""

    data_dir: Path
    out: Path
    where: list[str] = Field(default_factory=list, description="COLUMN=VALUE filters selecting the train pool")
    n: int = Field(50, ge=1, description="few-shot size (paper rule per class), the same split as `synthio evaluate`")
    seed: int = Field(0, ge=0)
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
        from synthio.dataset import parse_where, read_metadata, row_target, select

        check_n(self.n, [row_target(row) for row in select(read_metadata(self.data_dir), parse_where(self.where), self.data_dir)])

    def load(self, sample_rate: int) -> list[Clip]:
        """Decode the pool and return the few-shot train clips (skipped rows are listed, or raised unless ``skip_bad``)."""
        pool, train = self.load_pool(sample_rate)
        return [pool[i] for i in train]

    def load_pool(self, sample_rate: int) -> tuple[list[Clip], list[int]]:
        """The decoded pool and the indices of its few-shot train clips."""
        from synthio.dataset import load_selection, parse_where
        from synthio.progress import say

        pool, problems = load_selection(self.data_dir, parse_where(self.where), sample_rate, self.skip_bad)
        for problem in problems:
            say("skipped", problem)
        return pool, few_shot_split([c.target for c in pool], self.n, self.seed).train
