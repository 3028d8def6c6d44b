"""Spectrograms of real clips vs clips of one or more tiny T2A models, a column per class.

Usage: python scripts/plot_t2a_spectrograms.py DATA_DIR --where fold=10 --classes dog_bark,siren \
    --model v1=shipped --model v2=runs/t2a_v2/model --out docs/t2a_spectrograms.png
Row "real" holds the first clip of each class in the ``--where`` part (4 s, zero-padded); each
model's row holds its clip from "Sound of a {label}" at ``--seed`` (16 DDIM steps, guidance 5, the
defaults), so every model gets the same prompt and seed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from plot_alignment import SAMPLE_RATE, spectrogram_grid

from synthio.audio import fit_duration
from synthio.clap.base import template_prompt
from synthio.dataset import load_selection, parse_where
from synthio.t2a.tiny import TinyT2A
from synthio.weights import shipped

SECONDS = 4.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path)
    parser.add_argument("--where", default="fold=10", help="the part the real clips come from")
    parser.add_argument("--classes", required=True, help="comma-separated labels, one column each")
    parser.add_argument("--model", action="append", required=True, help="NAME=FOLDER of a TinyT2A (FOLDER 'shipped' = the embedded weights); repeatable, one row each")
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--guidance", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    labels = args.classes.split(",")
    clips, _ = load_selection(args.data, parse_where([args.where]), SAMPLE_RATE)
    num_samples = int(SECONDS * SAMPLE_RATE)
    missing = [label for label in labels if not any(c.label == label for c in clips)]
    if missing:
        parser.error(f"no clip of {', '.join(missing)} in {args.data} where {args.where}")
    rows = [("real", [fit_duration(next(c for c in clips if c.label == label).samples, num_samples) for label in labels])]
    for spec in args.model:
        name, _, folder = spec.partition("=")
        if not folder:
            parser.error(f"--model {spec!r} is not NAME=FOLDER")
        t2a = TinyT2A.load(shipped("tiny_t2a") if folder == "shipped" else Path(folder))
        rows.append((name, t2a.sample([template_prompt(label) for label in labels], [SECONDS] * len(labels), args.steps, args.guidance, [args.seed] * len(labels))))
    spectrogram_grid(rows, labels, f'log-mel, 64 bands, 16 kHz: real ({args.where}) vs "Sound of a {{label}}", seed {args.seed}', args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
