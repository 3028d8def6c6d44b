"""What every recipe shares: the ``Recipe`` record, source checks with errors that say what to download, and the resumable audiofolder writer.

A recipe reads the official archive layout the user downloaded and extracted (``SRC``) and writes
an audiofolder (``OUT/metadata.csv`` plus the audio). Nothing is downloaded. The run is split in
two so that an incomplete ``SRC`` never creates ``OUT``:

1. ``collect(src)`` reads the dataset's metadata files and checks that every audio file they list
   exists, raising ``MissingSourceError`` (naming the exact missing path and the archive to
   download) before anything is written;
2. ``write_audiofolder`` claims ``OUT`` (``synthio.outdir``: locked, fingerprinted, never ``SRC``),
   writes each audio file atomically (temporary name, then rename), skipping files a previous run
   already completed, and writes ``metadata.csv`` last. A killed run therefore resumes where it
   stopped, and a rerun of a finished one rewrites byte-identical metadata.

Audio files are copied byte for byte (file names mirror their path under ``SRC``); a recipe that
cuts clips (MUSDB18) writes FLAC through ``synthio.audio.write_audio``. A source file libsndfile
cannot read is skipped and listed (on the console and in ``OUT/prepare.json``), never dropped
silently.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import soundfile as sf

from synthio.atomic import remove_temporaries, write_atomic, write_text_atomic
from synthio.audio import AudioError, check_not_truncated
from synthio.errors import MissingFileError, SynthioError
from synthio.outdir import claim_output
from synthio.progress import console, say, track

METADATA = "metadata.csv"
SUMMARY = "prepare.json"
STATE = ".prepare"  # per-item completion records of recipes that cut clips (hidden: audiofolder loaders skip it)


class MissingSourceError(MissingFileError):
    """``SRC`` lacks a file the recipe needs; the message names the exact path and what to download."""


class SourceFormatError(SynthioError, ValueError):
    """A metadata file in ``SRC`` that is not in the official format (wrong columns, unparsable rows)."""


class SkipItem(Exception):
    """Raised by ``Item.write`` for a source file that cannot be used; the run lists it and goes on."""


@dataclass(frozen=True)
class Plan:
    """What ``collect`` found: the items to write and the sources already known to be unusable (source, reason)."""

    items: list[Item]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    columns: tuple[str, ...] | None = None  # when the source decides them (e.g. no split lists); else the recipe's


class Item(Protocol):
    """One unit of output: ``write`` makes its audio file(s) in ``out`` (or finds them complete) and returns their rows."""

    source: str

    def write(self, out: Path) -> list[dict[str, str]]: ...


@dataclass(frozen=True)
class Recipe:
    """One dataset: where to get it, what ``SRC`` must hold, the columns it writes, and ``collect`` to plan the run."""

    name: str
    title: str
    licence: str
    archive: str
    layout: tuple[str, ...]
    columns: tuple[str, ...]
    collect: Callable[..., Plan]  # (src, recipe, **options) -> Plan
    notes: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (name, help) of the keyword options ``collect`` takes, if any

    def prepare(self, src: str | Path, out: str | Path, force: bool = False, options: dict | None = None) -> Path:
        """Check ``src``, then write the audiofolder into ``out`` (resumable, idempotent); return ``out``. ``options``: the recipe's own (None values ignored)."""
        src = Path(src)
        options = {k: v for k, v in (options or {}).items() if v is not None}
        unknown = sorted(set(options) - {name for name, _ in self.options})
        if unknown:
            accepted = ", ".join(name for name, _ in self.options) or "none"
            raise SynthioError(f"{self.name} takes no option {', '.join(unknown)} (its options: {accepted})")
        if not src.is_dir():
            raise self.missing(src, "is not a folder")
        plan = self.collect(src, self, **options)
        settings = {"recipe": self.name, "src": str(src.resolve()), **({"options": options} if options else {})}
        with claim_output(out, "prepare", settings, inputs=(src,), force=force, outputs=("*",)):  # a recipe's audio folders have its own names: never beside a user's files
            return write_audiofolder(Path(out), plan, plan.columns or self.columns, self.name)

    def missing(self, path: Path, what: str = "is missing", found: Path | None = None) -> MissingSourceError:
        """The error for a missing ``path``: which file, what to download, and the layout SRC must have."""
        hint = f" (it is under {found}: pass that folder as SRC)" if found else ""
        layout = "\n".join(f"    {line}" for line in self.layout)
        return MissingSourceError(f"{self.title}: {path} {what}{hint}. Download {self.archive} and extract it so that SRC holds:\n{layout}")

    def require(self, src: Path, relative: str, kind: str = "file") -> Path:
        """``src / relative`` if it exists (a file, or a folder for ``kind="folder"``), else ``MissingSourceError`` naming it."""
        path = src / relative
        if path.is_dir() if kind == "folder" else path.is_file():
            return path
        raise self.missing(path, found=_one_level_down(src, relative))

    def first(self, src: Path, candidates: Sequence[str], kind: str = "file") -> Path:
        """The first of ``candidates`` that exists under ``src``; the error names the first (the documented layout)."""
        for relative in candidates:
            path = src / relative
            if path.is_dir() if kind == "folder" else path.is_file():
                return path
        return self.require(src, candidates[0], kind)

    def check_listed(self, src: Path, paths: Iterable[Path], listed_in: str) -> None:
        """Raise one ``MissingSourceError`` naming the audio files ``listed_in`` lists but ``src`` lacks (the first few and the count)."""
        absent = [p for p in paths if not p.is_file()]
        if absent:
            shown = "\n".join(f"    {p}" for p in absent[:5]) + (f"\n    ... and {len(absent) - 5} more" if len(absent) > 5 else "")
            raise self.missing(src, f"is incomplete: {len(absent)} audio file(s) listed in {listed_in} are missing:\n{shown}\n(re-extract every part of the archive)")


def _one_level_down(src: Path, relative: str) -> Path | None:
    """``SRC/<child>/relative`` when the user passed the folder above the extracted one."""
    try:
        children = sorted(p for p in src.iterdir() if p.is_dir())
    except OSError:
        return None
    for child in children:
        if (child / relative).exists():
            return child
    return None


def read_table(path: Path, recipe: Recipe, required: Sequence[str] = (), delimiter: str = ",", header: bool = True) -> list[dict[str, str]] | list[list[str]]:
    """Rows of a CSV/TSV metadata file: dicts (with ``header``; ``required`` columns checked) or lists of fields."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceFormatError(f"{recipe.title}: {path} is not UTF-8 text ({error.reason}); re-extract the official file") from None
    try:
        if not header:
            return [[f.strip() for f in fields] for fields in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if fields and any(f.strip() for f in fields)]
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = [r for r in reader if any((v or "").strip() for v in r.values() if isinstance(v, str))]
    except csv.Error as error:
        raise SourceFormatError(f"{recipe.title}: {path} is not valid CSV ({error}); re-extract the official file") from None
    absent = [c for c in required if c not in (reader.fieldnames or [])]
    if absent:
        raise SourceFormatError(f"{recipe.title}: {path} has no column(s) {', '.join(absent)} (found {', '.join(reader.fieldnames or []) or 'none'}); is it the official file?")
    return rows


def read_json(path: Path, recipe: Recipe):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise SourceFormatError(f"{recipe.title}: {path} is not valid JSON ({error}); re-extract the official file") from None


def relative(src: Path, path: Path) -> str:
    """``path`` relative to ``src``, with forward slashes: the ``file_name`` of a copied file."""
    return path.relative_to(src).as_posix()


def unreadable(path: Path) -> str | None:
    """Why libsndfile cannot use ``path`` (unreadable, truncated, empty), or None; reads the header only."""
    try:
        check_not_truncated(path)
        info = sf.info(str(path))
    except AudioError as error:
        return f"{error.kind}: {error.detail}"
    except (sf.LibsndfileError, RuntimeError, ValueError, OSError) as error:
        return f"unreadable: {str(error).strip()}"
    if info.frames == 0:
        return "empty: the file holds 0 samples"
    return None


def copy_atomic(source: Path, dest: Path) -> None:
    """Copy ``source`` to ``dest`` through a hidden temporary name, so ``dest`` exists only when complete."""
    try:
        write_atomic(dest, lambda tmp: shutil.copyfile(source, tmp))
    except OSError as error:
        raise SynthioError(f"cannot write {dest} ({error.strerror}); check that the folder is writable and the disk has free space") from None


@dataclass(frozen=True)
class Copy:
    """A source audio file copied unchanged to ``OUT/file_name``, with its metadata row (every column but ``file_name``)."""

    path: Path
    file_name: str
    row: dict[str, str]

    @property
    def source(self) -> str:
        return str(self.path)

    def write(self, out: Path) -> list[dict[str, str]]:
        dest = out / self.file_name
        if not (dest.is_file() and dest.stat().st_size == self.path.stat().st_size):
            reason = unreadable(self.path)
            if reason:
                raise SkipItem(reason)
            copy_atomic(self.path, dest)
        return [{"file_name": self.file_name, **self.row}]


def csv_text(rows: list[dict[str, str]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_audiofolder(out: Path, plan: Plan, columns: Sequence[str], name: str) -> Path:
    """Write every item (skipping complete ones), then ``prepare.json`` and, last, ``metadata.csv``; return ``out``."""
    remove_temporaries(out)
    rows: list[dict[str, str]] = []
    skipped = list(plan.skipped)
    for item in track(plan.items, f"prepare {name}", total=len(plan.items)):
        try:
            rows.extend(item.write(out))
        except SkipItem as reason:
            skipped.append((item.source, str(reason)))
    for source, reason in skipped[:10]:
        say("skipped", f"{source}: {reason}")
    if len(skipped) > 10:
        say("skipped", f"... and {len(skipped) - 10} more, all listed in {out / SUMMARY}")
    if not rows:
        raise SynthioError(f"no usable audio: all {len(skipped)} source file(s) were skipped (see above); check SRC")
    summary = {"recipe": name, "rows": len(rows), "skipped": [{"source": s, "reason": r} for s, r in skipped]}
    write_text_atomic(out / SUMMARY, json.dumps(summary, indent=2) + "\n")
    write_text_atomic(out / METADATA, csv_text(rows, columns))
    console.print(f"{name}: {len(rows)} rows, {len(skipped)} skipped")
    return out
