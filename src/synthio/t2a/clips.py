"""``synthio generate``: clips for one prompt from any ``TextToAudio``, with a manifest row per clip."""

from __future__ import annotations

import json
from pathlib import Path

from synthio.atomic import write_text_atomic
from synthio.audio import write_audio
from synthio.outdir import claim_output
from synthio.t2a.base import TextToAudio

MANIFEST = "manifest.jsonl"


def write_clips(t2a: TextToAudio, prompt: str, num: int, seconds: float, seed: int, steps: int, guidance: float, out: str | Path, force: bool = False, backend: dict | None = None) -> list[dict]:
    """Write ``OUT/clip_{seed+k}.wav`` for k < ``num`` and return the manifest rows of the folder.

    A rerun with other seeds adds clips; one with the same seeds rewrites the same files and rows
    (one row per file, never two). Prompt, duration, steps, guidance, model and ``backend`` (the
    model's settings and weights, ``backends.t2a_record``: sampler, vocoder, weights digest) are
    fixed per folder.
    """
    out = Path(out)
    settings = {"prompt": prompt, "seconds": seconds, "steps": steps, "guidance": guidance, "model": t2a.name, "sample_rate": t2a.sample_rate, "backend": backend}
    with claim_output(out, "generate", settings, force=force, outputs=(MANIFEST, "clip_*.wav")):
        waves = t2a.sample([prompt] * num, [seconds] * num, steps, guidance, [seed + k for k in range(num)])
        manifest = out / MANIFEST
        rows = {row["file_name"]: row for row in map(json.loads, manifest.read_text().splitlines())} if manifest.exists() else {}
        for k, wave in enumerate(waves):
            name = f"clip_{seed + k:04d}.wav"
            write_audio(out / name, wave, t2a.sample_rate)
            rows[name] = {"file_name": name, "prompt": prompt, "seed": seed + k, "seconds": seconds, "sample_rate": t2a.sample_rate, "model": t2a.name}
        ordered = sorted(rows.values(), key=lambda row: row["seed"])
        write_text_atomic(manifest, "".join(json.dumps(row) + "\n" for row in ordered))
    return ordered
