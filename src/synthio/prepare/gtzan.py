"""GTZAN genre collection (Tzanetakis and Cook, IEEE TSAP 2002): 1,000 thirty-second music excerpts, 100 per genre.

Archive: ``genres.tar.gz`` from http://marsyas.info/downloads/datasets.html (``genres/<genre>/
<genre>.000NN.au``), or the widely used WAV re-release "GTZAN Dataset - Music Genre
Classification" on Kaggle (``Data/genres_original/<genre>/<genre>.000NN.wav``), extracted. SRC is
the folder holding ``genres/`` (or ``genres_original/``). Licence: none was ever stated; the
excerpts are copyrighted recordings collected for research, so use them for research only.

Copies every ``<genre>.000NN`` file (00000-00099 of each of the 10 genres must be present).
Writes ``file_name,label,fold``: label = the genre, fold = a deterministic 10-fold assignment by
file index, ``NN // 10 + 1`` (files 00000-00009 are fold 1, ..., 00090-00099 fold 10). Neighbouring
files often come from the same album or artist, so blocks of 10 keep more of them together than
a round robin would; it is *not* the fault-filtered artist split of Kereliuk, Sturm and Larsen
(2015), whose file lists are not part of the archive. A file libsndfile cannot decode (the Kaggle
copy of ``jazz.00054.wav`` is known to be broken) is skipped and listed in ``prepare.json``.
"""

from __future__ import annotations

from pathlib import Path

from synthio.prepare.base import Copy, Plan, Recipe, relative

GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
PER_GENRE = 100
EXTENSIONS = (".wav", ".au")


def fold_of(index: int) -> int:
    """The fold (1-10) of file number ``index`` (0-99): blocks of ten consecutive files."""
    return index // 10 + 1


def collect(src: Path, recipe: Recipe) -> Plan:
    root = recipe.first(src, ("genres", "genres_original", "Data/genres_original"), kind="folder")
    items, expected = [], []
    for genre in GENRES:
        folder = recipe.require(src, relative(src, root / genre), kind="folder")
        present = {p.suffix.lower() for p in folder.iterdir() if p.name.startswith(f"{genre}.")}
        extension = next((e for e in EXTENSIONS if e in present), EXTENSIONS[0])
        for index in range(PER_GENRE):
            path = folder / f"{genre}.{index:05d}{extension}"
            expected.append(path)
            items.append(Copy(path, relative(src, path), {"label": genre, "fold": str(fold_of(index))}))
    recipe.check_listed(src, expected, f"the GTZAN layout ({PER_GENRE} files per genre)")
    return Plan(items)


RECIPE = Recipe(
    name="gtzan",
    title="GTZAN",
    licence="none stated; copyrighted music excerpts collected for research: research use only",
    archive="genres.tar.gz from http://marsyas.info/downloads/datasets.html (or the Kaggle WAV copy, whose Data/genres_original/ works too)",
    layout=("genres/<genre>/<genre>.000NN.au or .wav  (10 genres x NN = 00-99; also accepted: genres_original/)",),
    columns=("file_name", "label", "fold"),
    collect=collect,
    notes="label = genre; fold = NN // 10 + 1, a deterministic 10-fold split by file index (not the fault-filtered split)",
)
