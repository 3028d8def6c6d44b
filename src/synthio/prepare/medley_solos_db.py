"""Medley-solos-DB (Lostanlen and Cella, ISMIR 2016): 21,571 three-second solo clips of 8 instruments.

Archives: ``Medley-solos-DB_metadata.csv`` and ``Medley-solos-DB.tar.gz`` from Zenodo record
3464194 (https://zenodo.org/record/3464194). Put the CSV in SRC and extract the tarball into
``SRC/audio/`` (WAVs lying directly in SRC are found too). Licence: CC BY 4.0.

Reads the metadata CSV (``subset,instrument,instrument_id,song_id,uuid4``) and copies
``audio/Medley-solos-DB_<subset>-<instrument_id>_<uuid4>.wav`` (22.05 kHz mono). Writes
``file_name,label,split,song_id`` with label = ``instrument`` (e.g. "distorted electric
guitar"), split = the official subset renamed training -> train, validation -> validation,
test -> test, and song_id, the recording the clip was cut from.
"""

from __future__ import annotations

from pathlib import Path

from synthio.prepare.base import Copy, Plan, Recipe, SourceFormatError, read_table, relative

SPLITS = {"training": "train", "validation": "validation", "test": "test"}
METADATA = "Medley-solos-DB_metadata.csv"


def audio_name(row: dict[str, str]) -> str:
    return f"Medley-solos-DB_{row['subset']}-{row['instrument_id']}_{row['uuid4']}.wav"


def collect(src: Path, recipe: Recipe) -> Plan:
    meta = recipe.first(src, (METADATA, f"annotation/{METADATA}"))
    rows = read_table(meta, recipe, ("subset", "instrument", "instrument_id", "song_id", "uuid4"))
    unknown = sorted({r["subset"] for r in rows} - set(SPLITS))
    if unknown:
        raise SourceFormatError(f"{recipe.title}: {meta} has subset(s) {', '.join(unknown)}; expected {', '.join(SPLITS)}")
    folders = [src / "audio", src, src / "Medley-solos-DB"]
    folder = next((f for f in folders if rows and (f / audio_name(rows[0])).is_file()), folders[0])
    items = [Copy(folder / audio_name(r), relative(src, folder / audio_name(r)), {"label": r["instrument"], "split": SPLITS[r["subset"]], "song_id": r["song_id"]}) for r in rows]
    recipe.check_listed(src, (i.path for i in items), relative(src, meta))
    return Plan(items)


RECIPE = Recipe(
    name="medley_solos_db",
    title="Medley-solos-DB",
    licence="CC BY 4.0",
    archive="Medley-solos-DB_metadata.csv and Medley-solos-DB.tar.gz (extracted into audio/) from https://zenodo.org/record/3464194",
    layout=("Medley-solos-DB_metadata.csv", "audio/Medley-solos-DB_<subset>-<instrument_id>_<uuid4>.wav  (21,571 files)"),
    columns=("file_name", "label", "split", "song_id"),
    collect=collect,
    notes="label = instrument; split = training/validation/test -> train/validation/test",
)
