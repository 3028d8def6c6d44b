"""NSynth (Engel et al., ICML 2017): 305,979 four-second 16 kHz notes of 1,006 instruments in 11 families.

Archives: ``nsynth-train.jsonwav.tar.gz``, ``nsynth-valid.jsonwav.tar.gz`` and
``nsynth-test.jsonwav.tar.gz`` from https://magenta.tensorflow.org/datasets/nsynth, extracted
side by side into SRC. Licence: CC BY 4.0.

Reads each part's ``examples.json`` (one object per note, keyed by ``note_str``) and copies
``<part>/audio/<note_str>.wav``. Writes ``file_name,label,split,instrument,source,pitch,velocity``
with label = ``instrument_family_str`` (bass, brass, flute, guitar, keyboard, mallet, organ, reed,
string, synth_lead, vocal), split = train / validation / test (nsynth-train / -valid / -test; the
official parts share no instrument), instrument = ``instrument_str`` and source =
``instrument_source_str`` (acoustic, electronic, synthetic).
"""

from __future__ import annotations

from pathlib import Path

from synthio.prepare.base import Copy, Plan, Recipe, SourceFormatError, read_json

PARTS = {"nsynth-train": "train", "nsynth-valid": "validation", "nsynth-test": "test"}
FIELDS = ("instrument_family_str", "instrument_str", "instrument_source_str", "pitch", "velocity")


def collect(src: Path, recipe: Recipe) -> Plan:
    items = []
    for part, split in PARTS.items():
        path = recipe.require(src, f"{part}/examples.json")
        examples = read_json(path, recipe)
        if not isinstance(examples, dict):
            raise SourceFormatError(f"{recipe.title}: {path} is not an object keyed by note_str; is it the official file?")
        for note in sorted(examples):
            example = examples[note]
            absent = [f for f in FIELDS if not isinstance(example, dict) or f not in example]
            if absent:
                raise SourceFormatError(f"{recipe.title}: {path}: note {note!r} has no field(s) {', '.join(absent)}; is it the official file?")
            name = f"{part}/audio/{note}.wav"
            row = {"label": example["instrument_family_str"], "split": split, "instrument": example["instrument_str"], "source": example["instrument_source_str"], "pitch": str(example["pitch"]), "velocity": str(example["velocity"])}
            items.append(Copy(src / name, name, row))
    recipe.check_listed(src, (i.path for i in items), "the examples.json files")
    return Plan(items)


RECIPE = Recipe(
    name="nsynth",
    title="NSynth",
    licence="CC BY 4.0",
    archive="nsynth-train.jsonwav.tar.gz, nsynth-valid.jsonwav.tar.gz and nsynth-test.jsonwav.tar.gz from https://magenta.tensorflow.org/datasets/nsynth",
    layout=tuple(line for part in PARTS for line in (f"{part}/examples.json", f"{part}/audio/<note_str>.wav")),
    columns=("file_name", "label", "split", "instrument", "source", "pitch", "velocity"),
    collect=collect,
    notes="label = instrument_family_str; split = nsynth-train/valid/test -> train/validation/test",
)
