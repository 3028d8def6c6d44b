"""Sources that are labelled audiofolders: urbansound8k folds 1-2 and the fsdd pretraining speakers.

Only the parts set aside for pretraining are read (docs/results.md, "The pretraining corpus"); the
few-shot pools and test parts (urbansound8k folds 3 and 10, fsdd speakers theo and yweweler) never
enter the corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from synthio.audio import AudioError, read_audio
from synthio.dataset import read_metadata, select
from synthio.pretraining.corpus.base import CorpusItem
from synthio.progress import say

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


class FolderSource:
    """Rows of an audiofolder selected by ``where``, captioned by ``text(row)``."""

    def __init__(self, name: str, root: Path, where: dict[str, set[str]], text: Callable[[dict], str], licence: str):
        self.name, self.root, self.where, self.text, self.licence = name, Path(root), where, text, licence
        self.requires: dict[str, str] = {}

    def available(self) -> str | None:
        return None if (self.root / "metadata.csv").is_file() else f"{self.root}/metadata.csv not found"

    def _rows(self) -> list[dict]:
        return select(read_metadata(self.root), self.where, self.root)

    def keys(self) -> list[str]:
        return [Path(r["file_name"]).with_suffix("").as_posix().replace("/", "__") for r in self._rows()]

    def items(self, skip: set[str]) -> Iterator[CorpusItem]:
        for key, row in zip(self.keys(), self._rows()):
            if key in skip:
                continue
            try:
                samples = read_audio(self.root / row["file_name"], 16000)
            except AudioError as error:
                say(f"{self.name}: skipped", error)
                continue
            yield CorpusItem(key, row["label"], self.text(row), samples, 16000)


def urbansound8k(data_root: Path) -> FolderSource:
    """Folds 1 and 2 only: ``"Sound of a dog bark"``."""
    return FolderSource(
        "urbansound8k", Path(data_root) / "urbansound8k", {"fold": {"1", "2"}},
        lambda row: f"Sound of a {row['label'].replace('_', ' ')}", "CC BY-NC 3.0",
    )


def fsdd(data_root: Path) -> FolderSource:
    """Speakers george, jackson, lucas, nicolas only: ``"Sound of a 7, a voice saying seven"``."""
    def text(row: dict) -> str:
        word = DIGITS[int(row["label"])] if row["label"].isdigit() and int(row["label"]) < 10 else row["label"]
        return f"Sound of a {row['label']}, a voice saying {word}"

    return FolderSource("fsdd", Path(data_root) / "fsdd", {"speaker": {"george", "jackson", "lucas", "nicolas"}}, text, "CC BY-SA 4.0")
