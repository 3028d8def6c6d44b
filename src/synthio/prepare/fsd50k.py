"""FSD50K (Fonseca et al., IEEE/ACM TASLP 2022): 51,197 Freesound clips (0.3-30 s) with 200 AudioSet classes; multi-label.

Archives from Zenodo record 4060432 (https://zenodo.org/record/4060432): ``FSD50K.ground_truth.
zip``, ``FSD50K.dev_audio.zip`` (split in ``.z01`` ... ``.z05`` + ``.zip``: join them, e.g.
``zip -s 0 FSD50K.dev_audio.zip --out dev.zip``, then unzip) and ``FSD50K.eval_audio.zip``
(``.z01`` + ``.zip``), extracted side by side into SRC. Licence: CC BY 4.0 for the dataset and
labels; each clip keeps its own Freesound licence (CC0, CC BY, CC BY-NC or CC Sampling+), listed
in ``FSD50K.metadata``.

Reads ``FSD50K.ground_truth/dev.csv`` (``fname,labels,mids,split``) and ``eval.csv``
(``fname,labels,mids``) and copies ``FSD50K.dev_audio/<fname>.wav`` and
``FSD50K.eval_audio/<fname>.wav``. Writes ``file_name,labels,split,freesound_id``: labels = the
clip's labels in the official order (leaf classes before their ancestors) joined by ``;``,
split = train / validation (dev.csv's ``train`` / ``val``) or test (eval.csv), freesound_id =
``fname``. There is no ``label`` column: this is a multi-label dataset.
"""

from __future__ import annotations

from pathlib import Path

from synthio.dataset import LABEL_SEPARATOR
from synthio.prepare.base import Copy, Plan, Recipe, SourceFormatError, read_table

TRUTH = "FSD50K.ground_truth"
SPLITS = {"train": "train", "val": "validation"}


def collect(src: Path, recipe: Recipe) -> Plan:
    dev = read_table(recipe.require(src, f"{TRUTH}/dev.csv"), recipe, ("fname", "labels", "split"))
    test = read_table(recipe.require(src, f"{TRUTH}/eval.csv"), recipe, ("fname", "labels"))
    unknown = sorted({r["split"] for r in dev} - set(SPLITS))
    if unknown:
        raise SourceFormatError(f"{recipe.title}: {src / TRUTH / 'dev.csv'} has split value(s) {', '.join(unknown)}; expected train or val")
    items = []
    for rows, folder, split_of in ((dev, "FSD50K.dev_audio", lambda r: SPLITS[r["split"]]), (test, "FSD50K.eval_audio", lambda r: "test")):
        recipe.require(src, folder, kind="folder")
        for r in rows:
            name = f"{folder}/{r['fname']}.wav"
            labels = LABEL_SEPARATOR.join(label.strip() for label in r["labels"].split(",") if label.strip())
            items.append(Copy(src / name, name, {"labels": labels, "split": split_of(r), "freesound_id": r["fname"]}))
    recipe.check_listed(src, (i.path for i in items), f"{TRUTH}/dev.csv and eval.csv")
    return Plan(items)


RECIPE = Recipe(
    name="fsd50k",
    title="FSD50K",
    licence="CC BY 4.0 (clips: CC0, CC BY, CC BY-NC or CC Sampling+, per FSD50K.metadata)",
    archive="FSD50K.ground_truth.zip, FSD50K.dev_audio.zip (+ .z01-.z05) and FSD50K.eval_audio.zip (+ .z01) from https://zenodo.org/record/4060432",
    layout=(f"{TRUTH}/dev.csv, {TRUTH}/eval.csv", "FSD50K.dev_audio/<fname>.wav  (40,966 files)", "FSD50K.eval_audio/<fname>.wav  (10,231 files)"),
    columns=("file_name", "labels", "split", "freesound_id"),
    collect=collect,
    notes="multi-label: labels joined by ';' (no label column); split = train/validation from dev.csv, test = eval.csv",
)
