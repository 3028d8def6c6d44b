"""VocalSound (Gong, Yu and Glass, ICASSP 2022): 21,024 recordings of laughter, sighs, coughs, throat clearing, sneezes and sniffs from 3,365 speakers.

Archive: ``vs_release_16k.zip`` (1.7 GB; or ``vs_release_44k.zip``, 4.5 GB) from the links in
https://github.com/YuanGongND/vocalsound, extracted; SRC is the folder holding ``audio_16k/`` (or
``audio_44k/``; with both, ``audio_16k/`` is used) and ``datafiles/``. Licence: CC BY-SA 4.0.

Copies every ``<speaker>_<take>_<label>.wav`` (e.g. ``f0003_0_cough.wav``: female speaker 0003,
first session). Writes ``file_name,label,split,speaker`` with label and speaker from the file
name, and split = train / validation / test from the official speaker-disjoint lists
``datafiles/tr.json``, ``val.json`` and ``te.json`` (``{"data": [{"wav": ".../<file>.wav", ...}]}``;
matched by file name). Without ``datafiles/`` the split column is left out: select parts by
``speaker`` then (speakers never cross the official splits). A file whose name does not follow
the pattern is skipped and listed.
"""

from __future__ import annotations

import re
from pathlib import Path

from synthio.prepare.base import Copy, Plan, Recipe, SourceFormatError, read_json, relative
from synthio.progress import say

NAME = re.compile(r"^(?P<speaker>[A-Za-z]+\d+)_(?P<take>\d+)_(?P<label>[A-Za-z]+)\.wav$")
LISTS = {"tr.json": "train", "val.json": "validation", "te.json": "test"}


def _splits(src: Path, recipe: Recipe) -> dict[str, str] | None:
    """``{file name: split}`` from the official data files, or None when ``datafiles/`` is absent."""
    if not (src / "datafiles").is_dir():
        return None
    splits = {}
    for name, split in LISTS.items():
        path = recipe.require(src, f"datafiles/{name}")
        data = read_json(path, recipe)
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) and "wav" in e for e in entries):
            raise SourceFormatError(f"{recipe.title}: {path} is not {{\"data\": [{{\"wav\": ...}}, ...]}}; is it the official file?")
        for entry in entries:
            splits[Path(entry["wav"]).name] = split
    return splits


def collect(src: Path, recipe: Recipe) -> Plan:
    folder = recipe.first(src, ("audio_16k", "audio_44k"), kind="folder")
    splits = _splits(src, recipe)
    items, skipped, unlisted = [], [], 0
    for path in sorted(folder.glob("*.wav")):
        match = NAME.match(path.name)
        if not match:
            skipped.append((str(path), "file name is not <speaker>_<take>_<label>.wav"))
            continue
        row = {"label": match["label"], "speaker": match["speaker"]}
        if splits is not None:
            row["split"] = splits.get(path.name, "")
            unlisted += not row["split"]
        items.append(Copy(path, relative(src, path), row))
    if not items:
        raise recipe.missing(folder, "holds no <speaker>_<take>_<label>.wav files")
    if splits is None:
        say("note", f"{src / 'datafiles'} not found: no split column; select parts by speaker")
    elif unlisted:
        say("note", f"{unlisted} clip(s) are in none of datafiles/{{tr,val,te}}.json: their split is empty")
    columns = ("file_name", "label", "speaker") if splits is None else ("file_name", "label", "split", "speaker")
    return Plan(items, skipped, columns)


RECIPE = Recipe(
    name="vocalsound",
    title="VocalSound",
    licence="CC BY-SA 4.0",
    archive="vs_release_16k.zip (or vs_release_44k.zip) from https://github.com/YuanGongND/vocalsound",
    layout=("audio_16k/<speaker>_<take>_<label>.wav  (21,024 files; or audio_44k/)", "datafiles/tr.json, datafiles/val.json, datafiles/te.json  (the official splits; optional)"),
    columns=("file_name", "label", "split", "speaker"),
    collect=collect,
    notes="label and speaker from the file name; split = train/validation/test from datafiles/*.json (left out without them)",
)
