"""TUT Acoustic Scenes 2017 (Mesaros et al., DCASE 2017 task 1): 10-second binaural clips of 15 urban and indoor scenes.

Archives: the development set from Zenodo record 400515 (``TUT-acoustic-scenes-2017-development.
meta.zip`` and ``.audio.1.zip`` ... ``.audio.10.zip``) and, optionally, the evaluation set from
Zenodo record 1040168 (``TUT-acoustic-scenes-2017-evaluation.meta.zip`` and ``.audio.1.zip`` ...
``.audio.4.zip``), all extracted into SRC, which then holds ``TUT-acoustic-scenes-2017-
development/`` (and ``TUT-acoustic-scenes-2017-evaluation/``). Licence: Tampere University of
Technology's dataset licence: free for experimental and non-commercial use, with its copyright
notice kept.

The development set's official 4-fold cross-validation setup lists every clip in exactly one
``evaluation_setup/fold<k>_evaluate.txt`` (``audio/<file>.wav<TAB><scene>``); fold k's training
part is the other three folds. Writes ``file_name,label,split,fold,recording``: label = the scene
(e.g. ``cafe/restaurant``), split = development or evaluation, fold = 1-4 for development clips
(empty for evaluation clips, read from ``evaluation_setup/evaluate.txt``), recording = the
recording a development clip was cut from (the file-name prefix, e.g. ``b020``; clips of one
recording never straddle folds). ``--train-where fold=2,3,4 --test-where fold=1`` is the
official fold 1; ``--train-where split=development --test-where split=evaluation`` the challenge
setup. Without the evaluation folder only the development set is written.
"""

from __future__ import annotations

from pathlib import Path

from synthio.prepare.base import Copy, Plan, Recipe, SourceFormatError, read_table
from synthio.progress import say

DEVELOPMENT = "TUT-acoustic-scenes-2017-development"
EVALUATION = "TUT-acoustic-scenes-2017-evaluation"
FOLDS = (1, 2, 3, 4)


def _listed(path: Path, recipe: Recipe) -> list[tuple[str, str]]:
    """(audio path relative to the dataset folder, scene) for each line of an evaluation-setup list."""
    pairs = []
    for fields in read_table(path, recipe, delimiter="\t", header=False):
        if len(fields) < 2 or not fields[1]:
            raise SourceFormatError(f"{recipe.title}: {path} has a line without a scene label ({' '.join(fields)!r}); expected 'audio/<file>.wav<TAB><scene>'")
        pairs.append((fields[0], fields[1]))
    return pairs


def collect(src: Path, recipe: Recipe) -> Plan:
    items: dict[str, Copy] = {}
    for fold in FOLDS:
        listing = recipe.require(src, f"{DEVELOPMENT}/evaluation_setup/fold{fold}_evaluate.txt")
        for name, scene in _listed(listing, recipe):
            file_name = f"{DEVELOPMENT}/{name}"
            recording = Path(name).name.split("_")[0]
            items.setdefault(file_name, Copy(src / file_name, file_name, {"label": scene, "split": "development", "fold": str(fold), "recording": recording}))
    if (src / EVALUATION).is_dir():
        listing = recipe.require(src, f"{EVALUATION}/evaluation_setup/evaluate.txt")
        for name, scene in _listed(listing, recipe):
            file_name = f"{EVALUATION}/{name}"
            items.setdefault(file_name, Copy(src / file_name, file_name, {"label": scene, "split": "evaluation", "fold": "", "recording": ""}))
    else:
        say("note", f"{src / EVALUATION} not found: writing the development set only")
    recipe.check_listed(src, (i.path for i in items.values()), "the evaluation-setup lists")
    return Plan(list(items.values()))


RECIPE = Recipe(
    name="tut_urban",
    title="TUT Acoustic Scenes 2017",
    licence="TUT licence: free for experimental and non-commercial use, copyright notice kept",
    archive="TUT-acoustic-scenes-2017-development.meta.zip + .audio.1-10.zip (https://zenodo.org/record/400515) and optionally the evaluation set (https://zenodo.org/record/1040168)",
    layout=(
        f"{DEVELOPMENT}/evaluation_setup/fold1_evaluate.txt ... fold4_evaluate.txt",
        f"{DEVELOPMENT}/audio/<recording>_<start>_<end>.wav  (4,680 files)",
        f"{EVALUATION}/evaluation_setup/evaluate.txt  (optional)",
        f"{EVALUATION}/audio/<n>.wav  (optional, 1,620 files)",
    ),
    columns=("file_name", "label", "split", "fold", "recording"),
    collect=collect,
    notes="label = scene; fold = the official evaluation-setup fold 1-4; split = development/evaluation",
)
