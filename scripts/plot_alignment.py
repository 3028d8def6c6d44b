"""Spectrograms of real vs base vs aligned generations for a few classes of one ``synthio align`` run.

Usage: python scripts/plot_alignment.py DATA_DIR RUN_DIR --classes dog_bark,siren --out docs/align_spectrograms.png [--erm ERM_RUN_DIR]
Column j of a class is its j-th few-shot clip: the real clip, then the clip generated from
"Sound of a {label}" with the same seed before and after alignment (and after ERM, if given).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from synthio.audio import LogMel, read_audio

SAMPLE_RATE = 16000


def spectrogram_grid(rows: list[tuple[str, list[np.ndarray]]], titles: list[str], title: str, out: Path) -> None:
    """Write ``out``: one row of 64-band log-mels (16 kHz clips) per ``(name, clips)``, one column per title."""
    mel = LogMel(SAMPLE_RATE, n_mels=64)
    figure, axes = plt.subplots(len(rows), len(titles), figsize=(2.6 * len(titles), 2.0 * len(rows)), squeeze=False)
    for row, (name, clips) in enumerate(rows):
        for column, samples in enumerate(clips):
            spectrogram = mel(torch.from_numpy(np.asarray(samples, np.float32))[None])[0].T.numpy()
            axes[row, column].imshow(spectrogram, origin="lower", aspect="auto", cmap="magma")
            axes[row, column].set_xticks([])
            axes[row, column].set_yticks([])
            if column == 0:
                axes[row, column].set_ylabel(name)
            if row == 0:
                axes[row, column].set_title(titles[column], fontsize=9)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path)
    parser.add_argument("run", type=Path)
    parser.add_argument("--classes", required=True)
    parser.add_argument("--erm", type=Path, default=None)
    parser.add_argument("--per-class", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    index = json.loads((args.run / "samples/index.json").read_text())
    sources = [("real", None), ("base", args.run / "samples/before"), ("DPO", args.run / "samples/after")]
    if args.erm:
        sources.append(("ERM", args.erm / "samples/after"))
    chosen = [(label, i) for label in args.classes.split(",") for i in [k for k, row in enumerate(index) if row["label"] == label][: args.per_class]]
    titles = [f"{label} #{i}" for label, i in chosen]
    rows = [(name, [read_audio(args.data / index[i]["file_name"] if folder is None else folder / f"{i:04d}.wav", SAMPLE_RATE) for _, i in chosen]) for name, folder in sources]
    spectrogram_grid(rows, titles, f"log-mel, 64 bands, 16 kHz: {args.run.name}", args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
