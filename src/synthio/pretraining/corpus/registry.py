"""Every corpus source, in build order."""

from __future__ import annotations

from pathlib import Path

from synthio.pretraining.corpus.base import Source
from synthio.pretraining.corpus.debian import Hydrogen, SonicPi, Tuxpaint
from synthio.pretraining.corpus.fluidsynth import Fluidsynth
from synthio.pretraining.corpus.folder import fsdd, urbansound8k


def all_sources(data_root: str | Path) -> list[Source]:
    return [urbansound8k(Path(data_root)), fsdd(Path(data_root)), Fluidsynth(), Tuxpaint(), SonicPi(), Hydrogen()]
