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
import torch

from synthio.audio import LogMel, read_audio

SAMPLE_RATE = 16000


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
    mel = LogMel(SAMPLE_RATE, n_mels=64)
    sources = [("real", None), ("base", args.run / "samples/before"), ("DPO", args.run / "samples/after")]
    if args.erm:
        sources.append(("ERM", args.erm / "samples/after"))
    chosen = [(label, i) for label in args.classes.split(",") for i in [k for k, row in enumerate(index) if row["label"] == label][: args.per_class]]
    figure, axes = plt.subplots(len(sources), len(chosen), figsize=(2.6 * len(chosen), 2.0 * len(sources)), squeeze=False)
    for column, (label, i) in enumerate(chosen):
        for row, (name, folder) in enumerate(sources):
            path = args.data / index[i]["file_name"] if folder is None else folder / f"{i:04d}.wav"
            spectrogram = mel(torch.from_numpy(read_audio(path, SAMPLE_RATE))[None])[0].T.numpy()
            axes[row, column].imshow(spectrogram, origin="lower", aspect="auto", cmap="magma")
            axes[row, column].set_xticks([])
            axes[row, column].set_yticks([])
            if column == 0:
                axes[row, column].set_ylabel(name)
            if row == 0:
                axes[row, column].set_title(f"{label} #{i}", fontsize=9)
    figure.suptitle(f"log-mel, 64 bands, 16 kHz: {args.run.name}", fontsize=10)
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
