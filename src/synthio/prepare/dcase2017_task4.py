"""DCASE 2017 Task 4 (Mesaros et al. / Elizalde, Shah et al.): weakly labelled 10-second AudioSet clips of 17 warning and vehicle sounds; multi-label.

Sources: the label lists from
https://github.com/ankitshah009/Task-4-Large-scale-weakly-supervised-sound-event-detection-for-smart-cars
(``groundtruth_weak_label_training_set.csv``, ``groundtruth_weak_label_testing_set.csv``, and
``groundtruth_release/groundtruth_weak_label_evaluation_set.csv``) and the audio of the three
sets: the organisers' direct downloads linked from that README (the evaluation set is
``DCASE_2017_evaluation_set_audio_files.zip``), or your own download with its
``download_audio.py``. Put the label files in SRC (or ``SRC/metadata/``) and each set's clips in
``SRC/training/``, ``SRC/testing/`` and ``SRC/evaluation/``, named ``Y<file>`` (the organisers'
"Y" prefix) or ``<file>`` exactly as the label file lists them. Licence: the label lists are
Apache-2.0; the audio is YouTube content owned by its uploaders (research use).

Each label file is tab-separated, one line per (clip, label): ``<youtube id>_<start>_<end>.wav
<TAB>start<TAB>end<TAB>label``. Writes ``file_name,labels,split``: labels = the clip's labels,
sorted and joined by ``;`` (labels such as "Air horn, truck horn" hold commas), split = train /
validation / test for the training / testing / evaluation lists (the development set's "testing"
part was the challenge's validation data; "evaluation" its test set). There is no ``label``
column: this is a multi-label dataset. Clips missing from the audio folders (YouTube videos that
were taken down) are skipped and listed in ``prepare.json``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from synthio.dataset import LABEL_SEPARATOR
from synthio.prepare.base import Copy, Plan, Recipe, SourceFormatError, read_table, relative

PARTS = {
    "train": ("groundtruth_weak_label_training_set.csv", ("training", "unbalanced_train_segments_training_set_audio_formatted_and_segmented_downloads")),
    "validation": ("groundtruth_weak_label_testing_set.csv", ("testing", "unbalanced_train_segments_testing_set_audio_formatted_and_segmented_downloads")),
    "test": ("groundtruth_weak_label_evaluation_set.csv", ("evaluation", "evaluation_set_formatted_audio_segments")),
}
LABEL_FOLDERS = ("", "metadata/", "groundtruth_release/")


def _labels(path: Path, recipe: Recipe) -> dict[str, set[str]]:
    """``{clip file name: labels}`` from one weak-label list."""
    labels: dict[str, set[str]] = defaultdict(set)
    for fields in read_table(path, recipe, delimiter="\t", header=False):
        if len(fields) < 4 or not fields[0] or not fields[3]:
            raise SourceFormatError(f"{recipe.title}: {path} has a line that is not '<file>.wav<TAB>start<TAB>end<TAB>label': {'<TAB>'.join(fields)!r}")
        labels[fields[0]].add(fields[3])
    return labels


def collect(src: Path, recipe: Recipe) -> Plan:
    items, skipped = [], []
    for split, (list_name, folders) in PARTS.items():
        listing = recipe.first(src, [f"{folder}{list_name}" for folder in LABEL_FOLDERS])
        folder = recipe.first(src, folders, kind="folder")
        for name, labels in sorted(_labels(listing, recipe).items()):
            path = next((p for p in (folder / f"Y{name}", folder / name) if p.is_file()), None)
            if path is None:
                skipped.append((str(folder / f"Y{name}"), f"missing (listed in {relative(src, listing)}; its YouTube video may be gone)"))
                continue
            items.append(Copy(path, relative(src, path), {"labels": LABEL_SEPARATOR.join(sorted(labels)), "split": split}))
    return Plan(items, skipped)


RECIPE = Recipe(
    name="dcase2017_task4",
    title="DCASE 2017 Task 4",
    licence="label lists Apache-2.0; audio: YouTube content of its uploaders (research use)",
    archive="the label lists from https://github.com/ankitshah009/Task-4-Large-scale-weakly-supervised-sound-event-detection-for-smart-cars and the audio its README links (training, testing, DCASE_2017_evaluation_set_audio_files.zip)",
    layout=(
        "groundtruth_weak_label_training_set.csv, groundtruth_weak_label_testing_set.csv, groundtruth_weak_label_evaluation_set.csv  (or in metadata/)",
        "training/Y<youtube id>_<start>_<end>.wav  (51,172 clips)",
        "testing/Y<youtube id>_<start>_<end>.wav  (488 clips)",
        "evaluation/Y<youtube id>_<start>_<end>.wav  (1,103 clips; the zip's evaluation_set_formatted_audio_segments/ works too)",
    ),
    columns=("file_name", "labels", "split"),
    collect=collect,
    notes="multi-label: labels joined by ';' (no label column); split = training/testing/evaluation -> train/validation/test; missing clips skipped and listed",
)
