"""UrbanSound8K mixtures: a multi-label benchmark built from the single-label UrbanSound8K audiofolder.

SRC is the audiofolder ``synthio prepare urbansound8k`` writes (``metadata.csv`` with
``file_name,label,fold,freesound_id``; the shared copy in the data folder has the same layout). Each mixture
sums 1 to 3 clips (uniform) of distinct classes (uniform among the fold's classes, then a uniform
clip of each) from one fold, so the official folds stay apart: pretraining folds 1-2, pool fold 3
and test fold 10 share no source clip. Every source is read at 16 kHz mono, scaled to an RMS level
of -25 dBFS and then by a gain drawn uniformly in [-6, 0] dB, and placed at a uniform offset in the
mixture, which is as long as its longest source; a mixture whose peak would clip is scaled down
as a whole. Every draw comes from a generator seeded by ``seed`` and the fold, so a rerun writes
the same mixtures. Writes ``fold<F>/mix-<F>-<kkkkk>.flac`` (16 kHz, 16 bit) and
``file_name,labels,fold,freesound_id,sources,gains_db``: labels = every class present (sorted,
joined by ";"), freesound_id = the sources' recordings (joined by ";": ``--val-group freesound_id``
keeps validation mixtures off every recording a train mixture uses), sources = the source
file_names (joined by ";"), gains_db = their gains. Options:
``mixtures_per_fold`` (default: as many as the fold has clips) and ``seed`` (default 0).
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthio.audio import AudioError, read_audio, write_audio
from synthio.dataset import LABEL_SEPARATOR, LABELS_COLUMN
from synthio.prepare.base import Plan, Recipe, SkipItem, SourceFormatError, read_table

SAMPLE_RATE = 16000
MAX_SOURCES = 3
LEVEL_DBFS = -25.0
GAIN_DB = (-6.0, 0.0)
PEAK = 0.99


@dataclass(frozen=True)
class Mixture:
    """One mixture: its sources, their gains and where each starts (a fraction of the free room), and its metadata row."""

    paths: tuple[Path, ...]
    gains_db: tuple[float, ...]
    offsets: tuple[float, ...]
    file_name: str
    row: dict[str, str]

    @property
    def source(self) -> str:
        return LABEL_SEPARATOR.join(str(p) for p in self.paths)

    def write(self, out: Path) -> list[dict[str, str]]:
        if not (out / self.file_name).is_file():
            write_audio(out / self.file_name, self.mix(), SAMPLE_RATE)
        return [{"file_name": self.file_name, **self.row}]

    def mix(self) -> np.ndarray:
        """The mixture's samples at ``SAMPLE_RATE``; a source that cannot be read skips the mixture."""
        try:
            sources = [read_audio(path, SAMPLE_RATE) for path in self.paths]
        except AudioError as error:
            raise SkipItem(f"{error.kind}: {error.detail}") from None
        mixture = np.zeros(max(len(s) for s in sources), np.float64)
        for samples, gain_db, offset in zip(sources, self.gains_db, self.offsets):
            rms = math.sqrt(float(np.mean(np.square(samples, dtype=np.float64))))
            scale = (10 ** (LEVEL_DBFS / 20) / rms if rms > 0 else 1.0) * 10 ** (gain_db / 20)
            start = int(offset * (len(mixture) - len(samples)))
            mixture[start : start + len(samples)] += scale * samples
        peak = float(np.max(np.abs(mixture)))
        return (mixture * (PEAK / peak if peak > PEAK else 1.0)).astype(np.float32)


def _fold_key(fold: str) -> tuple[int, str]:
    return (int(fold), fold) if fold.isdigit() else (1 << 30, fold)


def collect(src: Path, recipe: Recipe, mixtures_per_fold: int | None = None, seed: int = 0) -> Plan:
    meta = recipe.require(src, "metadata.csv")
    rows = read_table(meta, recipe, ("file_name", "label", "fold", "freesound_id"))
    if mixtures_per_fold is not None and mixtures_per_fold < 1:
        raise SourceFormatError(f"{recipe.title}: mixtures_per_fold must be at least 1, got {mixtures_per_fold}")
    recipe.check_listed(src, (src / r["file_name"] for r in rows), "metadata.csv")
    folds: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    recording = {r["file_name"]: r["freesound_id"] for r in rows}
    for r in rows:
        folds[r["fold"]][r["label"]].append(r["file_name"])
    items = []
    for fold in sorted(folds, key=_fold_key):
        by_class = {label: sorted(names) for label, names in sorted(folds[fold].items())}
        classes = list(by_class)
        rng = np.random.default_rng([seed, zlib.crc32(fold.encode())])
        for k in range(mixtures_per_fold or sum(len(names) for names in by_class.values())):
            count = int(rng.integers(1, MAX_SOURCES + 1))
            picked = sorted(rng.choice(len(classes), size=min(count, len(classes)), replace=False).tolist())
            names = [by_class[classes[c]][int(rng.integers(len(by_class[classes[c]])))] for c in picked]
            gains = tuple(round(float(g), 2) for g in rng.uniform(*GAIN_DB, size=len(names)))
            offsets = tuple(float(o) for o in rng.uniform(0.0, 1.0, size=len(names)))
            row = {
                LABELS_COLUMN: LABEL_SEPARATOR.join(classes[c] for c in picked), "fold": fold, "freesound_id": LABEL_SEPARATOR.join(recording[name] for name in names),
                "sources": LABEL_SEPARATOR.join(names), "gains_db": LABEL_SEPARATOR.join(f"{g:g}" for g in gains),
            }
            items.append(Mixture(tuple(src / name for name in names), gains, offsets, f"fold{fold}/mix-{fold}-{k:05d}.flac", row))
    return Plan(items)


RECIPE = Recipe(
    name="us8k-mixtures",
    title="UrbanSound8K mixtures (multi-label)",
    licence="CC BY-NC 3.0 (UrbanSound8K's; the mixtures are derived from it)",
    archive="UrbanSound8K.tar.gz (see the urbansound8k recipe) and run `synthio prepare urbansound8k` on it first: SRC is that output folder,",
    layout=("metadata.csv  (file_name,label,fold,freesound_id: the output of `synthio prepare urbansound8k`)", "the audio files it lists"),
    columns=("file_name", "labels", "fold", "freesound_id", "sources", "gains_db"),
    collect=collect,
    notes="multi-label: mixtures of 1-3 clips of one fold at random gains and offsets (seeded), labels = every class present; options --mixtures-per-fold (default: the fold's clip count) and --seed",
    options=(("mixtures_per_fold", "mixtures written per fold (default: as many as the fold has clips)"), ("seed", "seed of every random draw (default 0)")),
)
