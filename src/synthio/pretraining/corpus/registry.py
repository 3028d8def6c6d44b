"""Every corpus source, in build order (mixtures last: they draw from the clips the others wrote)."""

from __future__ import annotations

from pathlib import Path

from synthio.pretraining.corpus.base import Source
from synthio.pretraining.corpus.debian import Hydrogen, SonicPi, Tuxpaint
from synthio.pretraining.corpus.effects import effect_sources
from synthio.pretraining.corpus.espeak import Espeak
from synthio.pretraining.corpus.fluidsynth import Fluidsynth, soundfont_sources
from synthio.pretraining.corpus.folder import fsdd, urbansound8k
from synthio.pretraining.corpus.mixtures import Mixtures


def all_sources(data_root: str | Path, out: str | Path | None = None, mixtures: int = 5000, seed: int = 0) -> list[Source]:
    """The sources of this machine's corpus; ``out`` is the corpus folder the mixtures draw from (None leaves them unavailable)."""
    sources: list[Source] = [urbansound8k(Path(data_root)), fsdd(Path(data_root)), Fluidsynth(), Tuxpaint(), SonicPi(), Hydrogen()]
    sources += [*soundfont_sources(), *effect_sources(), Espeak()]
    return [*sources, Mixtures(out, [s.name for s in sources], count=mixtures, seed=seed)]
