"""Write a source-weighted view of a built corpus for `synthio pretrain t2a` on the CPU (no pack, no quantised MiniLM).

The same subset and caption rewrite as ``scripts/pack_t2a_features.py`` (every clip of the
benchmark pretraining parts and the recorded and soundfont sources, a seeded share of the
espeak-ng digits captioned in the label's form "Sound of a 7, a man saying seven, ...", other
espeak-ng speech and the mixtures), written as a corpus folder: ``OUT/metadata.csv`` and a hard
link to each chosen clip (one file system; a corpus refuses symbolic links out of its folder).
Nothing of ``CORPUS`` is copied or changed.

``--digit-labels`` also writes those espeak-ng digits' label as the digit ("seven" -> "7", fsdd's
label): the tiny T2A reads only captions, but the tiny CLAP's loss treats clips with one label as
positives of each other, and a spoken seven is a 7 whichever source said it.

    python scripts/weighted_corpus.py runs/corpus_dig --out runs/corpus_dig_weighted --espeak-digits 1800 --espeak-other 300 --mixtures 0
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from collections import Counter
from pathlib import Path

from pack_t2a_features import DIGITS, label_form, select


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="a folder built by `synthio corpus build`")
    parser.add_argument("--out", type=Path, required=True, help="a new folder (refused if it exists)")
    parser.add_argument("--espeak-digits", type=int, default=2000)
    parser.add_argument("--espeak-other", type=int, default=500)
    parser.add_argument("--mixtures", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-speech-mixtures", action="store_true", help="leave out the mixtures whose event is speech (\"a man saying the word dog over rain\")")
    parser.add_argument("--digit-labels", action="store_true", help="label the espeak-ng digits with the digit, as fsdd does")
    args = parser.parse_args()

    if args.out.exists():
        raise SystemExit(f"{args.out} exists; give a new folder")
    with open(args.corpus / "metadata.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    chosen = [rows[i] | {"caption": label_form(rows[i]["caption"])} for i in select(rows, args.espeak_digits, args.espeak_other, args.mixtures, args.seed, not args.no_speech_mixtures)]
    if args.digit_labels:
        chosen = [row | {"label": DIGITS[row["label"]]} if row["source"] == "espeak" and row["label"] in DIGITS else row for row in chosen]
    args.out.mkdir(parents=True)
    for row in chosen:
        (args.out / row["file_name"]).parent.mkdir(parents=True, exist_ok=True)
        os.link(args.corpus / row["file_name"], args.out / row["file_name"])
    with open(args.out / "metadata.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(chosen)
    sources = Counter(row["source"] for row in chosen)
    print(json.dumps({"clips": len(chosen), "distinct_captions": len({row["caption"] for row in chosen}), "sources": sources}, indent=1))


if __name__ == "__main__":
    main()
