"""Pack a source-weighted subset of a corpus's tiny-T2A features small enough to travel to a GPU machine.

A GPU machine that cannot reach the corpus takes the features with it, and the repository, the
diffusers wheel and the features must fit the transfer limit (64 MiB in all). The caption token
embeddings are what make ``features.npz`` large (~19 KB per distinct caption in fp16: 640 MB for
corpus v2), so the pack carries the captions' MiniLM token ids and the MiniLM itself instead,
its matrices as int8 with one scale per row and its word embeddings cut to the rows the captions use;
``scripts/unpack_t2a_features.py`` rebuilds a ``features.npz`` that ``synthio pretrain t2a`` reads.

The subset weights the sources toward the two evaluation domains (uniform draws over corpus v2
diluted them, docs/results.md §2): every clip of the benchmark pretraining parts, the recorded
sound effects, the General MIDI sound-effect programs and the FluidR3 notes; a seeded share of
the espeak-ng digits (captioned in the label's form, "Sound of a 7, a man saying seven, ...", so
that "Sound of a 7" reaches those voices), other espeak-ng speech and the two-event mixtures.

    python scripts/pack_t2a_features.py runs/corpus_v2 runs/t2a_v2/features.npz --out .gpu/pack
"""

from __future__ import annotations

import argparse
import csv
import json
import lzma
import re
import shutil
from pathlib import Path

import numpy as np

ALL_OF = {
    "urbansound8k", "fsdd", "fluidsynth", "tuxpaint", "sonic_pi", "hydrogen", "supertuxkart", "wesnoth", "widelands", "lmms",
    "freedesktop", "asterisk", "openarena", "hedgewars", "fluidsynth_drums_fluidr3", "fluidsynth_drums_musescore",
}
GM_EFFECTS = {"reverse cymbal", "guitar fret noise", "breath noise", "seashore", "bird tweet", "telephone ring", "helicopter", "applause", "gunshot"}
DIGITS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
SPOKEN_DIGIT = re.compile(r"^Sound of an? (.+?) saying the word (" + "|".join(DIGITS) + r")\b(.*)$", re.S)


def label_form(caption: str) -> str:
    """'Sound of a man saying the word seven, ...' -> 'Sound of a 7, a man saying seven, ...' (fsdd's form); other captions unchanged."""
    m = SPOKEN_DIGIT.match(caption)
    if m is None:
        return caption
    speaker, word, rest = m.groups()
    article = "an" if speaker[0] in "aeiou" else "a"
    return f"Sound of a {DIGITS[word]}, {article} {speaker} saying {word}{rest}"


def select(rows: list[dict], espeak_digits: int, espeak_other: int, mixtures: int, seed: int, speech_mixtures: bool = True) -> np.ndarray:
    """Row indices of the weighted subset (sorted); ``speech_mixtures=False`` leaves out the mixtures whose event is someone saying something."""
    rng = np.random.default_rng(seed)
    source = np.array([r["source"] for r in rows])
    label = np.array([r["label"] for r in rows])
    spoken = np.array([" saying " in r["caption"] for r in rows], dtype=bool)
    keep = [np.flatnonzero(np.isin(source, sorted(ALL_OF)))]
    keep.append(np.flatnonzero(np.isin(source, ["fluidsynth_musescore", "fluidsynth_timgm6mb"]) & np.isin(label, sorted(GM_EFFECTS))))
    digit = (source == "espeak") & np.isin(label, sorted(DIGITS))
    for mask, n in ((digit, espeak_digits), ((source == "espeak") & ~digit, espeak_other), ((source == "mixtures") & (speech_mixtures | ~spoken), mixtures)):
        pool = np.flatnonzero(mask)
        keep.append(rng.choice(pool, size=min(n, len(pool)), replace=False))
    return np.sort(np.concatenate(keep))


def slim_minilm(minilm: Path, token_ids: np.ndarray, out: Path) -> None:
    """Write ``minilm.npz``: 2-D weights as int8 + per-row float32 scales, the rest float16, word embeddings cut to the used ids."""
    from safetensors.numpy import load_file

    weights = load_file(minilm / "model.safetensors")
    used = np.unique(token_ids)
    arrays: dict[str, np.ndarray] = {"used_ids": used.astype(np.int32)}
    for name, w in weights.items():
        if name.endswith("position_ids") or name.startswith("pooler."):
            continue
        if name == "embeddings.word_embeddings.weight":
            w = w[used]
        if name == "embeddings.position_embeddings.weight":
            w = w[: token_ids.shape[1]]
        if w.ndim == 2:
            scale = np.abs(w).max(axis=1, keepdims=True) / 127
            arrays[name + ":q"] = np.round(w / np.maximum(scale, 1e-12)).astype(np.int8)
            arrays[name + ":scale"] = scale.astype(np.float32)
        else:
            arrays[name] = w.astype(np.float16)
    np.savez_compressed(out / "minilm.npz", **arrays)
    shutil.copy(minilm / "config.json", out / "minilm_config.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", help="a built corpus folder (its metadata.csv, in the order features.npz was computed)")
    parser.add_argument("features", help="that corpus's features.npz from `synthio pretrain t2a`")
    parser.add_argument("--out", required=True)
    parser.add_argument("--espeak-digits", type=int, default=2000)
    parser.add_argument("--espeak-other", type=int, default=500)
    parser.add_argument("--mixtures", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from synthio.text import minilm_path

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(Path(args.corpus) / "metadata.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    data = np.load(args.features)
    if len(rows) != len(data["caption_index"]):
        raise SystemExit(f"{args.corpus}/metadata.csv has {len(rows)} rows but {args.features} {len(data['caption_index'])} clips")
    stored = data["captions"][data["caption_index"]]
    if any(stored[i] != rows[i]["caption"] for i in range(0, len(rows), 101)):
        raise SystemExit(f"{args.features} was not computed from {args.corpus}/metadata.csv in its order")
    index = select(rows, args.espeak_digits, args.espeak_other, args.mixtures, args.seed)
    captions = [label_form(rows[i]["caption"]) for i in index]
    distinct = sorted(set(captions))
    caption_index = np.searchsorted(np.array(distinct), np.array(captions))

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(minilm_path(), local_files_only=True)
    token_ids = tokenizer(distinct, padding="max_length", truncation=True, max_length=32, return_tensors="np")["input_ids"].astype(np.int32)
    slim_minilm(minilm_path(), token_ids, out)
    codes = np.ascontiguousarray(data["codes"][index])
    (out / "codes.u8.xz").write_bytes(lzma.compress(codes.tobytes(), preset=6))
    np.savez_compressed(
        out / "meta.npz", shape=np.array(codes.shape), low=data["low"], high=data["high"], mel_mean=data["mel_mean"], mel_std=data["mel_std"],
        caption_index=caption_index, token_ids=token_ids, captions=np.array(distinct),
    )
    sources = {}
    for i in index:
        sources[rows[i]["source"]] = sources.get(rows[i]["source"], 0) + 1
    summary = {"clips": len(index), "distinct_captions": len(distinct), "sources": sources, "args": vars(args),
               "megabytes": {p.name: round(p.stat().st_size / 1e6, 2) for p in sorted(out.iterdir())}}
    (out / "pack.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
