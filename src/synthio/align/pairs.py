"""DPO pairs (Synthio stage 2): each real clip wins against ``k`` of the base model's own outputs.

A loser is generated from the template prompt "Sound of a {label}" at its winner's duration, with
a seed derived from the run seed and its position. Loser files go to ``OUT/losers/`` and their rows
to ``OUT/pairs.jsonl`` only once the file is complete, so a rerun (or a killed run) regenerates
only what is missing, and a change of model or sampling settings never reuses stale losers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthio.audio import read_audio, write_audio
from synthio.clap.base import template_prompt
from synthio.dataset import Clip
from synthio.progress import progress_bar


@dataclass(frozen=True)
class Pair:
    """One preference pair: ``winner`` (index of a real clip) beats the generated clip at ``loser_path``."""

    winner: int
    loser_path: Path
    prompt: str
    seed: int


def loser_seed(seed: int, winner: int, j: int, k: int) -> int:
    return seed * 1_000_003 + winner * k + j


def make_pairs(t2a, clips: list[Clip], out: str | Path, losers_per_clip: int, seed: int, steps: int, guidance: float, batch_size: int = 16) -> list[Pair]:
    """``len(clips) * losers_per_clip`` pairs, generating (and recording) only losers not already in ``OUT/pairs.jsonl``."""
    out = Path(out)
    (out / "losers").mkdir(parents=True, exist_ok=True)
    settings = {"model": t2a.name, "steps": steps, "guidance": guidance}
    manifest = out / "pairs.jsonl"
    done: dict[int, str] = {}
    if manifest.exists():
        for line in manifest.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if all(row.get(key) == value for key, value in settings.items()) and (out / row["loser"]).is_file():
                done[int(row["seed"])] = row["loser"]
    k = losers_per_clip
    wanted = [(i, j, loser_seed(seed, i, j, k)) for i in range(len(clips)) for j in range(k)]
    todo = sorted((w for w in wanted if w[2] not in done), key=lambda w: clips[w[0]].seconds)
    if todo:
        with progress_bar() as progress, manifest.open("a") as log:
            task = progress.add_task("DPO losers", total=len(todo), status="")
            for start in range(0, len(todo), batch_size):
                chunk = todo[start : start + batch_size]
                prompts = [template_prompt(clips[i].label) for i, _, _ in chunk]
                seconds = [min(clips[i].seconds, t2a.max_seconds) for i, _, _ in chunk]
                waves = t2a.sample(prompts, seconds, steps, guidance, [s for _, _, s in chunk])
                for (i, j, s), prompt, wave in zip(chunk, prompts, waves):
                    name = f"losers/{Path(clips[i].file_name).stem}_{s}.wav"
                    write_audio(out / name, wave, t2a.sample_rate)
                    log.write(json.dumps({"winner": clips[i].file_name, "label": clips[i].label, "prompt": prompt, "loser": name, "seed": s, **settings}) + "\n")
                    log.flush()
                    done[s] = name
                progress.update(task, advance=len(chunk))
    return [Pair(i, out / done[s], template_prompt(clips[i].label), s) for i, j, s in wanted]


def read_losers(pairs: list[Pair], sample_rate: int) -> list[np.ndarray]:
    return [read_audio(p.loser_path, sample_rate) for p in pairs]
