"""ESC-50 (Piczak, ACM MM 2015): 2,000 five-second clips of 50 environmental sound classes in 5 folds.

Archive: ``ESC-50-master.zip`` from https://github.com/karolpiczak/ESC-50 (the repository's
"Download ZIP"), extracted; SRC is ``ESC-50-master/``. Licence: CC BY-NC 3.0 (the dataset as a
whole; each clip's own Freesound licence is CC BY or CC BY-NC).

Reads ``meta/esc50.csv`` (``filename,fold,target,category,esc10,src_file,take``) and copies
``audio/<filename>`` (44.1 kHz mono WAV). Writes ``file_name,label,fold,freesound_id,esc10`` with
label = ``category``, fold = the official 1-5, freesound_id = ``src_file`` (clips cut from one
Freesound recording share it; use ``--val-group freesound_id``) and esc10 = True/False (the
ESC-10 subset).
"""

from __future__ import annotations

from pathlib import Path

from synthio.prepare.base import Copy, Plan, Recipe, read_table


def collect(src: Path, recipe: Recipe) -> Plan:
    meta = recipe.require(src, "meta/esc50.csv")
    rows = read_table(meta, recipe, ("filename", "fold", "category", "esc10", "src_file"))
    items = [Copy(src / "audio" / r["filename"], f"audio/{r['filename']}", {"label": r["category"], "fold": r["fold"], "freesound_id": r["src_file"], "esc10": r["esc10"]}) for r in rows]
    recipe.check_listed(src, (i.path for i in items), "meta/esc50.csv")
    return Plan(items)


RECIPE = Recipe(
    name="esc50",
    title="ESC-50",
    licence="CC BY-NC 3.0 (clips: CC BY or CC BY-NC, see meta/esc50.csv's src_file on Freesound)",
    archive="ESC-50-master.zip from https://github.com/karolpiczak/ESC-50",
    layout=("meta/esc50.csv", "audio/<fold>-<freesound id>-<take>-<target>.wav  (2,000 files)"),
    columns=("file_name", "label", "fold", "freesound_id", "esc10"),
    collect=collect,
    notes="label = category; fold = official 1-5",
)
