"""Sound-effect sources from Debian packages: tuxpaint stamps (with text descriptions), sonic-pi samples, hydrogen drum kits."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from synthio.audio import AudioError, read_audio
from synthio.pretraining.corpus.base import CorpusItem, article
from synthio.progress import say

SONIC_PI_PREFIXES = {
    "ambi": "ambient", "bass": "bass", "bd": "bass drum", "drum": "drum", "elec": "electronic", "glitch": "glitch",
    "guit": "guitar", "loop": "drum loop", "mehackit": "synth", "misc": "", "perc": "percussion", "sn": "snare drum",
    "tabla": "tabla", "vinyl": "vinyl record", "arovane": "electronic beat", "tbd": "", "hat": "hi-hat",
}
DRUM_WORDS = [("kick", "kick drum"), ("bd", "kick drum"), ("snare", "snare drum"), ("sn", "snare drum"), ("hat", "hi-hat"), ("hh", "hi-hat"),
              ("tom", "tom drum"), ("crash", "crash cymbal"), ("ride", "ride cymbal"), ("cymbal", "cymbal"), ("clap", "hand clap"),
              ("cow", "cowbell"), ("rim", "rimshot"), ("shaker", "shaker"), ("tamb", "tambourine"), ("conga", "conga"), ("bongo", "bongo")]


def _words(stem: str) -> list[str]:
    return [w for w in re.split(r"[^a-z]+", stem.lower()) if w]


class FileSource:
    """Audio files under ``root`` matching ``pattern``; ``describe(path)`` gives (label, text) or None to skip."""

    def __init__(self, name: str, root: Path, pattern: str, licence: str, package: str = ""):
        self.name, self.root, self.pattern, self.licence = name, Path(root), pattern, licence
        self.requires = {package: str(self.root)} if package else {}

    def describe(self, path: Path) -> tuple[str, str] | None:
        raise NotImplementedError

    def available(self) -> str | None:
        return None if self.root.is_dir() else f"{self.root} not found (apt-get install {' '.join(self.requires) or 'the package'})"

    def _files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob(self.pattern) if self.describe(p) is not None)

    def keys(self) -> list[str]:
        """Each file's path under ``root`` without its suffix (``animals__frog``), or with it where files share a stem (``bell.ogg``, ``bell.wav``)."""
        paths = [p.relative_to(self.root) for p in self._files()]
        stems = Counter(p.with_suffix("") for p in paths)
        return [re.sub(r"[^A-Za-z0-9_.-]+", "_", (p.with_suffix("") if stems[p.with_suffix("")] == 1 else p).as_posix().replace("/", "__")) for p in paths]

    def items(self, skip: set[str]) -> Iterator[CorpusItem]:
        for key, path in zip(self.keys(), self._files()):
            if key in skip:
                continue
            label, text = self.describe(path)  # type: ignore[misc]
            try:
                samples = read_audio(path, 16000)
            except AudioError as error:
                say(f"{self.name}: skipped", error)
                continue
            yield CorpusItem(key, label, text, samples, 16000)


class Tuxpaint(FileSource):
    """``tuxpaint-stamps-default``: ``NAME.ogg`` sound effects whose ``NAME.txt`` first line describes them ("A frog.")."""

    def __init__(self, root: Path = Path("/usr/share/tuxpaint/stamps")):
        super().__init__("tuxpaint", root, "*.ogg", "GPL-2", "tuxpaint-stamps-default")

    def describe(self, path: Path) -> tuple[str, str] | None:
        if "_desc" in path.stem:
            return None
        text_file = path.with_suffix(".txt")
        if not text_file.is_file():
            return None
        first = text_file.read_text(errors="replace").splitlines()[0].strip().rstrip(".")
        if not first or "=" in first:
            return None
        label = re.sub(r"^(a|an|the)\s+", "", first.lower())
        return label, f"Sound of {first[0].lower() + first[1:]}"


class SonicPi(FileSource):
    """``sonic-pi-samples``: ``bd_haus.flac`` -> "Sound of a bass drum (haus)"."""

    def __init__(self, root: Path = Path("/usr/share/sonic-pi/samples")):
        super().__init__("sonic_pi", root, "*.flac", "CC0 / CC-BY (see the package's copyright file)", "sonic-pi-samples")

    def describe(self, path: Path) -> tuple[str, str] | None:
        prefix, _, rest = path.stem.partition("_")
        family = SONIC_PI_PREFIXES.get(prefix, prefix)
        detail = " ".join(_words(rest))
        label = family or detail or path.stem
        return label, f"Sound of {article(label)} {label}" + (f" ({detail})" if detail and family else "")


class Hydrogen(FileSource):
    """``hydrogen-drumkits``: drum samples named after their instrument -> "Sound of a snare drum hit"."""

    def __init__(self, root: Path = Path("/usr/share/hydrogen/data/drumkits")):
        super().__init__("hydrogen", root, "*.wav", "GPL-2+ and others (see the package's copyright file)", "hydrogen-drumkits")

    def describe(self, path: Path) -> tuple[str, str] | None:
        words = _words(path.stem)
        for key, name in DRUM_WORDS:
            if any(w == key or w.startswith(key) for w in words):
                return name, f"Sound of a {name} hit"
        return None
