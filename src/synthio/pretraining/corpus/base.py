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
import math
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np
import soundfile as sf
import torch

from synthio.atomic import write_text_atomic
from synthio.audio import SILENT_PEAK, fit_duration, write_audio
from synthio.caption.descriptors import compute_descriptors, describe
from synthio.dataset import DatasetError, Problem, SelectionError, decode_rows, read_metadata
from synthio.errors import SynthioError
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
    """A corpus source: ``available()`` says why not when it cannot run; ``items()`` yields clips.

    ``requires`` maps each Debian package the source reads to a path it installs (or a program
    name on PATH), so that a build can name the packages that are missing.
    """

    name: str
    licence: str
    requires: dict[str, str]

    def available(self) -> str | None: ...

    def keys(self) -> list[str]: ...

    def items(self, skip: set[str]) -> Iterator[CorpusItem]: ...


def article(noun: str) -> str:
    """``"an"`` before a vowel sound, else ``"a"``: "an oboe", "an old man", "a dog"."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


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
    """Write every item of one source not yet written; return the number of rows it has. Two items with one key (one file) are refused."""
    keys = source.keys()
    repeated = sorted(key for key, count in Counter(keys).items() if count > 1)
    if repeated:
        raise SynthioError(
            f"corpus source {source.name} has {len(repeated)} keys shared by several items, which would overwrite each other's file {out / source.name}/KEY.flac: {', '.join(repeated[:5])} "
            "(a file listed twice in the source's metadata.csv?); fix the source or leave it out with --sources"
        )
    rows_path = out / f"{source.name}.rows.jsonl"
    rows = _read_rows(rows_path)
    rows_path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done, written = {r["key"] for r in rows}, set()
    max_samples = int(max_seconds * sample_rate)
    with open(rows_path, "a") as f:
        for item in track(source.items(done), f"corpus: {source.name}", total=max(0, len(keys) - len(done))):
            if item.key in done or item.key in written:
                raise ValueError(f"corpus source {source.name} yielded the key {item.key} twice (or one already written), which would overwrite {out / source.name}/{item.key}.flac")
            written.add(item.key)
            if item.sample_rate != sample_rate:
                raise ValueError(f"{source.name} yielded {item.key} at {item.sample_rate} Hz, expected {sample_rate}")
            samples = item.samples[:max_samples] if len(item.samples) > max_samples else item.samples
            if len(samples) < sample_rate // 10 or not np.isfinite(samples).all() or np.abs(samples).max() < SILENT_PEAK:
                continue
            file_name = f"{source.name}/{item.key}.flac"
            write_audio(out / file_name, samples, sample_rate)
            row = {"key": item.key, "file_name": file_name, "label": item.label, "caption": caption_for(item.text, samples, sample_rate), "source": source.name,
                   "text": item.text, "seconds": round(len(samples) / sample_rate, 4)}
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
            rows.append(row)
    (out / f"{source.name}.done").touch()
    return len(rows)


def missing_packages(sources: list[Source]) -> list[str]:
    """The Debian packages the sources need whose file (or program) is not on this machine, sorted, each once."""
    missing = set()
    for source in sources:
        for package, need in getattr(source, "requires", {}).items():
            present = Path(need).exists() if "/" in need else shutil.which(need) is not None
            if not present:
                missing.add(package)
    return sorted(missing)


def install_line(sources: list[Source]) -> str | None:
    """The one ``apt-get install`` line that brings every missing package, or None when nothing is missing."""
    missing = missing_packages(sources)
    return "apt-get install -y " + " ".join(missing) if missing else None


def corpus_stats(sources: list[Source], out: str | Path) -> dict[str, dict]:
    """Per source: clips, hours and distinct captions in the built folder, plus a ``total`` entry."""
    out = Path(out)
    stats = {}
    for source in sources:
        rows = _read_rows(out / f"{source.name}.rows.jsonl")
        if not rows:
            continue
        seconds = sum(r["seconds"] if "seconds" in r else sf.info(str(out / r["file_name"])).duration for r in rows)
        stats[source.name] = {"clips": len(rows), "hours": round(seconds / 3600, 3), "distinct_captions": len({r["caption"] for r in rows}), "licence": source.licence}
    captions = {r["caption"] for source in sources for r in _read_rows(out / f"{source.name}.rows.jsonl")}
    stats["total"] = {"clips": sum(s["clips"] for s in stats.values()), "hours": round(sum(s["hours"] for s in stats.values()), 3),
                      "distinct_captions": len(captions), "sources": len(stats)}
    return stats


SETTINGS = "corpus_settings.json"


def build_corpus(sources: list[Source], out: str | Path, sample_rate: int = 16000, max_seconds: float = 4.0) -> Path:
    """Build every available source (skipping finished ones), then write ``metadata.csv`` and ``corpus_stats.json``."""
    out = Path(out)
    if not (math.isfinite(max_seconds) and max_seconds >= 0.1):
        raise SynthioError(f"max_seconds must be a number of seconds >= 0.1 (clips shorter than 0.1 s are dropped), got {max_seconds}")
    if out.exists() and not out.is_dir():
        raise SynthioError(f"{out} is a file, not a folder: name a folder for the corpus")
    if (out / "metadata.csv").exists() and not any(out.glob("*.rows.jsonl")):
        raise SynthioError(f"{out} holds a metadata.csv that `synthio corpus build` did not write (a dataset?); name another folder for the corpus")
    started = any(out.glob("*.rows.jsonl"))
    if out.is_dir() and any(p.name != SETTINGS for p in out.iterdir()) and not started:
        raise SynthioError(f"{out} is not empty and holds no corpus build (no SOURCE.rows.jsonl); name an empty or new folder: the build writes metadata.csv, corpus_stats.json and a folder per source there")
    settings = {"sample_rate": sample_rate, "max_seconds": max_seconds}
    own = {source.name: getattr(source, "settings", dict)() for source in sources}
    begun = [name for name in own if (out / f"{name}.rows.jsonl").exists()]
    recorded = json.loads((out / SETTINGS).read_text()) if (out / SETTINGS).is_file() else None
    expected = {**settings, **{k: v for name in begun for k, v in own[name].items()}}
    changed = {k: v for k, v in expected.items() if recorded is not None and k in recorded and recorded[k] != v}
    if started and changed:
        was = ", ".join(f"{k} {recorded[k]}" for k in changed)
        raise SynthioError(f"{out} was built with {was}, not {', '.join(f'{k} {v}' for k, v in changed.items())}; rerun with those settings to resume or add sources, or build into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    if not started:  # a corpus begun before this record existed stays unrecorded: its settings are unknown
        write_text_atomic(out / SETTINGS, json.dumps(settings) + "\n")
    line = install_line(sources)
    if line:
        say("some sources are missing; to add them run:", line)
    for source in sources:
        reason = source.available()
        if reason:
            say(f"skipping {source.name}:", reason)
            continue
        if (out / f"{source.name}.done").exists():
            console.print(f"{source.name}: already built")
            continue
        if own[source.name] and source.name not in begun and (out / SETTINGS).is_file():  # a source's own settings are recorded as it begins
            write_text_atomic(out / SETTINGS, json.dumps({**json.loads((out / SETTINGS).read_text()), **own[source.name]}) + "\n")
        try:
            count = build_source(source, out, sample_rate, max_seconds)
        except SelectionError as error:  # e.g. a copy of a dataset that lacks the part the recipe reads
            say(f"skipping {source.name}:", error)
            continue
        console.print(f"{source.name}: {count} clips")
    rows = [r for source in sources for r in _read_rows(out / f"{source.name}.rows.jsonl")]
    if not rows:
        raise SynthioError(f"no clips: none of the sources {', '.join(s.name for s in sources)} could be built (see the lines above); nothing written to {out / 'metadata.csv'}")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["file_name", "label", "caption", "source"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out / "metadata.csv", buffer.getvalue())
    stats = corpus_stats(sources, out)
    write_text_atomic(out / "corpus_stats.json", json.dumps(stats, indent=2) + "\n")
    for name, entry in stats.items():
        console.print(f"{name}: {entry['clips']} clips, {entry['hours']:.2f} h, {entry['distinct_captions']} distinct captions")
    if line:
        say("skipped sources need:", line)
    return out


class CorpusClips(NamedTuple):
    """A loaded corpus: per clip its caption, label and source (``""`` when metadata.csv has no source column), and the waveforms ``(N, samples)``."""

    captions: list[str]
    labels: list[str]
    sources: list[str]
    waves: torch.Tensor


def load_corpus(corpus: str | Path, sample_rate: int, seconds: float) -> CorpusClips:
    """Captions, labels, sources and waveforms ``(N, seconds * sample_rate)`` (centre-cropped or padded) of a built corpus.

    Each decoded clip is released as it is copied into the result, so the peak is one copy of the
    audio (a 23-h corpus at 16 kHz and 4 s: 11.6 GB), not two.
    """
    corpus = Path(corpus)
    rows = read_metadata(corpus)
    if rows and "caption" not in rows[0]:
        raise DatasetError(corpus, [Problem("metadata.csv", "missing column", "no caption column", "build the folder with `synthio corpus build`")], hint="")
    clips, problems = decode_rows(corpus, rows, sample_rate, "decoding corpus")
    for problem in problems:
        say("skipped", problem)
    if not clips:
        raise SynthioError(f"{corpus / 'metadata.csv'} holds no usable clip ({len(rows)} rows): build the corpus with `synthio corpus build {corpus}`")
    n = int(round(seconds * sample_rate))
    by_name = {r["file_name"]: r for r in rows}
    captions, labels = [by_name[c.file_name]["caption"] for c in clips], [c.label for c in clips]
    sources = [by_name[c.file_name].get("source", "") for c in clips]
    waves = torch.empty((len(clips), n))
    for i in range(len(clips)):
        samples, clips[i] = clips[i].samples, None
        waves[i] = torch.from_numpy(fit_duration(samples, n, "pad", offset=max(0, (len(samples) - n) // 2)))
    return CorpusClips(captions, labels, sources, waves)
