"""Corpus items, sources, and the idempotent, resumable build that writes them as one audiofolder.

Each source writes ``OUT/<source>/...flac`` and appends a row to ``OUT/<source>.rows.jsonl`` only
after its file is complete; ``OUT/<source>.done`` marks a finished source, which a rerun skips.
A killed build resumes: items whose row exists are not rendered again. ``metadata.csv``
(``file_name,label,caption,source``) is rewritten from the row files at the end.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from synthio.atomic import write_text_atomic
from synthio.audio import fit_duration, write_audio
from synthio.caption.descriptors import compute_descriptors, describe
from synthio.dataset import DatasetError, Problem, decode_rows, read_metadata
from synthio.progress import console, say, track


@dataclass
class CorpusItem:
    """One clip: ``key`` is unique within its source and stable across runs."""

    key: str
    label: str
    text: str
    samples: np.ndarray
    sample_rate: int


class Source(Protocol):
    """A corpus source: ``available()`` says why not when it cannot run; ``items()`` yields clips."""

    name: str
    licence: str

    def available(self) -> str | None: ...

    def keys(self) -> list[str]: ...

    def items(self, skip: set[str]) -> Iterator[CorpusItem]: ...


def caption_for(text: str, samples: np.ndarray, sample_rate: int) -> str:
    """Weak label text plus descriptor words: ``"a violin note, A4: loud, bright"``."""
    phrases = describe(compute_descriptors(samples, sample_rate))
    return text + (": " + ", ".join(phrases) if phrases else "")


def _read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a row cut by a kill is the last line; its file is rewritten
    return rows


def build_source(source: Source, out: Path, sample_rate: int = 16000, max_seconds: float = 4.0) -> int:
    """Write every item of one source not yet written; return the number of rows it has."""
    rows_path = out / f"{source.name}.rows.jsonl"
    rows = _read_rows(rows_path)
    rows_path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = {r["key"] for r in rows}
    max_samples = int(max_seconds * sample_rate)
    with open(rows_path, "a") as f:
        for item in track(source.items(done), f"corpus: {source.name}", total=max(0, len(source.keys()) - len(done))):
            if item.sample_rate != sample_rate:
                raise ValueError(f"{source.name} yielded {item.key} at {item.sample_rate} Hz, expected {sample_rate}")
            samples = item.samples[:max_samples] if len(item.samples) > max_samples else item.samples
            if len(samples) < sample_rate // 10 or not np.isfinite(samples).all() or np.abs(samples).max() < 1e-4:
                continue
            file_name = f"{source.name}/{item.key}.flac"
            write_audio(out / file_name, samples, sample_rate)
            row = {"key": item.key, "file_name": file_name, "label": item.label, "caption": caption_for(item.text, samples, sample_rate), "source": source.name}
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
            rows.append(row)
    (out / f"{source.name}.done").touch()
    return len(rows)


def build_corpus(sources: list[Source], out: str | Path, sample_rate: int = 16000, max_seconds: float = 4.0) -> Path:
    """Build every available source (skipping finished ones), then write ``metadata.csv``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for source in sources:
        reason = source.available()
        if reason:
            say(f"skipping {source.name}:", reason)
            continue
        if (out / f"{source.name}.done").exists():
            console.print(f"{source.name}: already built")
            continue
        count = build_source(source, out, sample_rate, max_seconds)
        console.print(f"{source.name}: {count} clips")
    rows = [r for source in sources for r in _read_rows(out / f"{source.name}.rows.jsonl")]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["file_name", "label", "caption", "source"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out / "metadata.csv", buffer.getvalue())
    return out


def load_corpus(corpus: str | Path, sample_rate: int, seconds: float) -> tuple[list[str], list[str], torch.Tensor]:
    """Captions, labels and waveforms ``(N, seconds * sample_rate)`` (centre-cropped or padded) of a built corpus."""
    corpus = Path(corpus)
    rows = read_metadata(corpus)
    if rows and "caption" not in rows[0]:
        raise DatasetError(corpus, [Problem("metadata.csv", "missing column", "no caption column", "build the folder with `synthio corpus build`")], hint="")
    clips, problems = decode_rows(corpus, rows, sample_rate, "decoding corpus")
    for problem in problems:
        say("skipped", problem)
    n = int(round(seconds * sample_rate))
    by_name = {r["file_name"]: r for r in rows}
    waves = torch.from_numpy(np.stack([fit_duration(c.samples, n, "pad", offset=max(0, (len(c.samples) - n) // 2)) for c in clips]))
    return [by_name[c.file_name]["caption"] for c in clips], [c.label for c in clips], waves
