"""UrbanSound8K (Salamon, Jacoby and Bello, ACM MM 2014): 8,732 urban sound excerpts (up to 4 s) of 10 classes in 10 folds.

Archive: ``UrbanSound8K.tar.gz`` from https://urbansounddataset.weebly.com/urbansound8k.html
(also Zenodo record 1203745), extracted; SRC is ``UrbanSound8K/``. Licence: CC BY-NC 3.0.

Reads ``metadata/UrbanSound8K.csv``
(``slice_file_name,fsID,start,end,salience,fold,classID,class``) and copies
``audio/fold<N>/<slice_file_name>`` unchanged (the WAVs mix rates, bit depths and channel counts;
libsndfile reads them all). Writes ``file_name,label,fold,freesound_id,salience`` with label =
``class``, fold = the official 1-10 (use them as given: the folds keep slices of one recording
together) and freesound_id = ``fsID``.
"""

from __future__ import annotations

from pathlib import Path

from synthio.prepare.base import Copy, Plan, Recipe, read_table


def collect(src: Path, recipe: Recipe) -> Plan:
    meta = recipe.require(src, "metadata/UrbanSound8K.csv")
    rows = read_table(meta, recipe, ("slice_file_name", "fsID", "salience", "fold", "class"))
    items = []
    for r in rows:
        name = f"audio/fold{r['fold']}/{r['slice_file_name']}"
        items.append(Copy(src / name, name, {"label": r["class"], "fold": r["fold"], "freesound_id": r["fsID"], "salience": r["salience"]}))
    recipe.check_listed(src, (i.path for i in items), "metadata/UrbanSound8K.csv")
    return Plan(items)


RECIPE = Recipe(
    name="urbansound8k",
    title="UrbanSound8K",
    licence="CC BY-NC 3.0",
    archive="UrbanSound8K.tar.gz from https://urbansounddataset.weebly.com/urbansound8k.html (Zenodo record 1203745)",
    layout=("metadata/UrbanSound8K.csv", "audio/fold1/ ... audio/fold10/<fsID>-<classID>-<occurrence>-<slice>.wav  (8,732 files)"),
    columns=("file_name", "label", "fold", "freesound_id", "salience"),
    collect=collect,
    notes="label = class; fold = official 1-10; freesound_id = fsID",
)
