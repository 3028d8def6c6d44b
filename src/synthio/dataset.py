"""Labelled audio folders in the Hugging Face ``audiofolder`` layout, selected and validated.

A folder holds ``metadata.csv`` with at least ``file_name`` (relative to the folder) and ``label``,
or, for multi-label data, ``labels`` (a row's labels joined by ``;``, e.g. ``dog_bark;siren``) instead
of ``label`` (a folder has exactly one of the two; a multi-label clip's ``labels`` is a tuple and its
``label`` the joined text); any other column (``fold``, ``speaker``, ``split``...) can select parts with ``K=V`` filters.
Validation decodes every selected file and reports every problem at once; nothing is dropped
silently: ``skip_bad=True`` drops the bad rows and returns them as ``Problem`` records.
A file_name that leads outside the folder (absolute, ``..``, a symlink) is a problem unless ``allow_outside=True``.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthio.audio import AudioError, level_problem, read_audio
from synthio.errors import SynthioError
from synthio.progress import track

METADATA = "metadata.csv"
REQUIRED_COLUMNS = ("file_name", "label")
LABELS_COLUMN = "labels"
LABEL_SEPARATOR = ";"


class SelectionError(SynthioError, ValueError):
    """A ``COLUMN=VALUE`` filter or a pair of parts that cannot select what was asked."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row or file, with the fix a user should apply."""

    file_name: str
    kind: str
    detail: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file_name}: {self.kind}: {self.detail} -> {self.fix}"


class DatasetError(SynthioError, ValueError):
    """Every problem found in a dataset, listed in one message."""

    def __init__(self, root: str | Path, problems: list[Problem], hint: str = "or rerun with --skip-bad to skip these rows and list them"):
        self.root = str(root)
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) in {self.root}:"] + [f"  - {p}" for p in self.problems]
        if hint:
            lines.append(f"Fix the files above, {hint}.")
        super().__init__("\n".join(lines))


@dataclass
class Clip:
    """One decoded clip: mono float32 samples at ``sample_rate`` plus its metadata row."""

    file_name: str
    label: str
    samples: np.ndarray
    sample_rate: int
    meta: dict[str, str] = field(default_factory=dict)
    labels: tuple[str, ...] | None = None  # multi-label rows only; ``label`` is then the labels joined by ";"

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def target(self) -> str | tuple[str, ...]:
        """What a classifier learns: the label, or the tuple of labels of a multi-label clip."""
        return self.label if self.labels is None else self.labels

    @property
    def all_labels(self) -> tuple[str, ...]:
        """Every label of the clip (one for a single-label clip)."""
        return (self.label,) if self.labels is None else self.labels


def level_warnings(root: str | Path, clips: list[Clip]) -> list[str]:
    """``file_name: silent (...)`` or ``file_name: clipped (...)`` for each decodable clip that is probably not what was meant (:func:`synthio.audio.level_problem`)."""
    return [f"{clip.file_name}: {problem}" for clip in clips if (problem := level_problem(Path(root) / clip.file_name)) is not None]


def split_labels(text: str) -> tuple[str, ...]:
    """``"dog_bark; siren"`` -> ``("dog_bark", "siren")``: stripped, empty parts and repeats dropped, order kept."""
    return tuple(dict.fromkeys(part.strip() for part in text.split(LABEL_SEPARATOR) if part.strip()))


def is_multi_label_rows(rows: list[dict[str, str]]) -> bool:
    """Whether the metadata rows come from a multi-label folder (a ``labels`` column)."""
    return bool(rows) and LABELS_COLUMN in rows[0]


def is_multi_label_clips(clips: list[Clip]) -> bool:
    """Whether decoded clips are multi-label (each carries a ``labels`` tuple); the one test for clips."""
    return any(c.labels is not None for c in clips)


def row_labels(row: dict[str, str]) -> tuple[str, ...]:
    """Every label of a metadata row: its ``labels`` split at ";", or its one ``label``."""
    return split_labels(row[LABELS_COLUMN]) if LABELS_COLUMN in row else (row["label"],)


def row_target(row: dict[str, str]) -> str | tuple[str, ...]:
    """What a classifier learns from a row: its ``label``, or the tuple of its ``labels``."""
    return row_labels(row) if LABELS_COLUMN in row else row["label"]


def parse_where(expressions: list[str] | tuple[str, ...] | None) -> dict[str, set[str]]:
    """Parse ``["fold=1,2", "speaker=theo"]`` into ``{"fold": {"1", "2"}, "speaker": {"theo"}}``; ``\\,`` is a comma inside a value (``label=rooster\\, loud``)."""
    where: dict[str, set[str]] = {}
    for expression in expressions or []:
        key, sep, values = expression.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise SelectionError(f"bad filter {expression!r}: write COLUMN=VALUE or COLUMN=V1,V2 (e.g. fold=3; \\, for a comma inside a value)")
        parsed = [v.replace("\\,", ",").strip() for v in re.split(r"(?<!\\),", values)]
        if "" in parsed:
            raise SelectionError(f"bad filter {expression!r}: an empty value between commas; write COLUMN=V1,V2 (e.g. fold=3,4)")
        where.setdefault(key.strip(), set()).update(parsed)
    return where


def read_rows(root: str | Path) -> tuple[list[dict[str, str]], list[Problem]]:
    """Read ``root/metadata.csv``: the well-formed rows, and one Problem per row with too few or too many fields."""
    root = Path(root)
    path = root / METADATA
    if not root.is_dir():
        raise DatasetError(root, [Problem(str(root), "missing folder", "not a directory", "pass the folder that holds metadata.csv")], hint="")
    if not path.is_file():
        found = f"{path} is a folder, not a file" if path.is_dir() else f"{path} does not exist"
        raise DatasetError(root, [Problem(METADATA, "missing metadata", found, "write metadata.csv with columns file_name,label")], hint="")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as error:
        offset = len(data) - len(error.object) + error.start
        line = data[:offset].count(b"\n") + 1
        raise DatasetError(
            root,
            [Problem(METADATA, "not UTF-8", f"byte {offset} (line {line}) is 0x{data[offset]:02x}, which is not UTF-8", "save metadata.csv as UTF-8 (in Excel: CSV UTF-8)")],
            hint="",
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, problems = [], []
    line = 1
    try:
        columns = next(reader, [])
        repeated = {c: k for c, k in Counter(columns).items() if k > 1}
        if repeated:
            detail = "; ".join(f"{c} appears {k} times" for c, k in repeated.items())
            raise DatasetError(root, [Problem(f"{METADATA} line 1", "duplicate columns", detail, "rename or delete the repeated columns")], hint="")
        if "label" in columns and LABELS_COLUMN in columns:
            raise DatasetError(
                root,
                [Problem(METADATA, "both label and labels columns", f"{path} has a label column (one label per clip) and a labels column (several, joined by ';')", "keep one of the two columns in metadata.csv")],
                hint="",
            )
        missing = [c for c in REQUIRED_COLUMNS if c not in columns and not (c == "label" and LABELS_COLUMN in columns)]
        if missing:
            raise DatasetError(
                root,
                [
                    Problem(
                        METADATA, "missing columns", f"no column(s) {', '.join(missing)}; found {', '.join(columns) or 'none'}{padding_hint(set(columns))}",
                        "add the columns file_name,label (or file_name,labels for multi-label rows, labels joined by ';')",
                    )
                ],
                hint="",
            )
        line = reader.line_num + 1
        for fields in reader:
            if fields:
                row = dict(zip(columns, fields))
                detail = f"row {_shown(row.get('file_name') or ','.join(fields))!r} has {len(fields)} fields; the header has {len(columns)}"
                if len(fields) < len(columns):
                    problems.append(Problem(f"{METADATA} line {line}", "too few fields", detail, "fill in the missing fields or delete the row"))
                elif len(fields) > len(columns):
                    problems.append(Problem(f"{METADATA} line {line}", "too many fields", detail, 'quote values that hold commas ("a, b") or delete the extra fields'))
                else:
                    rows.append(row)
            line = reader.line_num + 1
    except csv.Error as error:
        fix = "close the quote (\") this row opens, or shorten the field" if "field limit" in str(error) else "make the row valid CSV (quote values that hold commas, quotes or line breaks)"
        raise DatasetError(root, [Problem(f"{METADATA} line {line}", "bad CSV", str(error), fix)], hint="") from None
    return rows, problems


def read_metadata(root: str | Path) -> list[dict[str, str]]:
    """Read ``root/metadata.csv``; raise DatasetError if it is missing, not UTF-8 CSV, lacks required columns or has bad rows."""
    rows, problems = read_rows(root)
    if problems:
        raise DatasetError(root, problems, hint="")
    return rows


def select(rows: list[dict[str, str]], where: dict[str, set[str]], root: str | Path = "") -> list[dict[str, str]]:
    """Keep rows whose every filtered column has one of the given values; error on unknown columns or no match."""
    if not rows and where:
        raise SelectionError(f"{root}/{METADATA} has no rows to filter with {', '.join(sorted(where))}: add one row per clip")
    columns = set(rows[0]) if rows else set()
    for key, values in where.items():
        if key not in columns:
            raise SelectionError(f"{root}/{METADATA} has no column {key!r}; columns are {', '.join(sorted(columns))}{padding_hint(columns)}")
        present = {r[key] for r in rows}
        unknown = values - present
        if unknown:
            raise SelectionError(
                f"{key}={','.join(sorted(unknown))} matches no row of {root}/{METADATA}; values present: {', '.join(sorted(present)[:20])}{padding_hint(present)}"
            )
    return [r for r in rows if all(r[k] in v for k, v in where.items())]


def padding_hint(names: set[str]) -> str:
    """A note for an error message when some of ``names`` start or end with spaces (a CSV written with ', ' separators), else ''."""
    padded = sorted(name for name in names if name != name.strip())
    return f" (some have spaces around them, e.g. {padded[0]!r}: write metadata.csv with plain ',' separators)" if padded else ""


def find_row_problems(rows: list[dict[str, str]]) -> list[Problem]:
    """Problems visible in the metadata alone: empty file names or labels, duplicate rows (``./a.wav`` and ``a.wav`` are one file)."""
    problems = []
    counts = Counter(same_file(r["file_name"]) for r in rows if r["file_name"])
    reported = set()
    for r in rows:
        name = r["file_name"]
        if not name or not name.strip():
            problems.append(Problem("<empty>", "missing file_name", f"a row has no file_name: {r}", "fill in or delete the row"))
        elif LABELS_COLUMN in r and not split_labels(r[LABELS_COLUMN]):
            problems.append(Problem(name, "missing labels", "the row's labels column is empty", "fill in its labels, joined by ';', or delete the row"))
        elif LABELS_COLUMN not in r and not (r.get("label") or "").strip():
            problems.append(Problem(name, "missing label", "the row has an empty label", "fill in the label or delete the row"))
        if name and counts[same_file(name)] > 1 and same_file(name) not in reported:
            reported.add(same_file(name))
            problems.append(Problem(name, "duplicate row", f"listed {counts[same_file(name)]} times in {METADATA} (counting spellings of one path)", "keep one row per file"))
    return problems


def without_problems(rows: list[dict[str, str]], problems: list[Problem]) -> list[dict[str, str]]:
    """The rows worth decoding: those with a file name that no problem names (each problem is reported once)."""
    bad = {same_file(p.file_name) for p in problems}
    return [r for r in rows if r["file_name"].strip() and same_file(r["file_name"]) not in bad]


def same_file(file_name: str) -> str:
    """The path a ``file_name`` names, spelled one way (``./a.wav``, ``x/../a.wav`` -> ``a.wav``): what duplicate and overlap checks compare."""
    return os.path.normpath(file_name)


def _shown(name: str, limit: int = 80) -> str:
    """``name`` as printed in a Problem: names longer than ``limit`` lose their middle."""
    return name if len(name) <= limit else f"{name[: limit - 24]}...{name[-20:]}"


def outside_folder(root: Path, file_name: str) -> str | None:
    """Why ``root/file_name`` leads outside ``root`` (absolute, ``..`` or a symlink), or None if it stays inside."""
    if Path(file_name).is_absolute():
        return "the file_name is an absolute path"
    try:
        resolved = (root / file_name).resolve()
    except RuntimeError:  # a symlink loop: reading it reports the file as missing
        return None
    if not resolved.is_relative_to(root.resolve()):
        return f"it resolves to {resolved} (through '..' or a symlink), outside {root}"
    return None


def decode_rows(
    root: str | Path, rows: list[dict[str, str]], sample_rate: int, description: str = "decoding", allow_outside: bool = False
) -> tuple[list[Clip], list[Problem]]:
    """Decode every row (two threads), returning the good clips in row order and one Problem per bad file.

    A file_name leading outside ``root`` is a Problem unless ``allow_outside``.
    """
    root = Path(root)

    def load(row: dict[str, str]) -> Clip | Problem:
        name = row["file_name"]
        try:
            reason = None if allow_outside else outside_folder(root, name)
            if reason:
                return Problem(name, "outside the dataset folder", reason, "move the file into the folder and name it relative to it, or opt in with allow_outside=True (validate: --allow-outside)")
            samples = read_audio(root / name, sample_rate)
        except AudioError as error:
            return Problem(name, error.kind, error.detail, error.fix)
        except OSError as error:
            if error.errno == errno.ENAMETOOLONG:
                return Problem(_shown(name), "file name too long", f"{error.strerror}: the {METADATA} row's file_name has {len(name)} characters", "shorten the file name and its metadata.csv row")
            return Problem(_shown(name), "unreadable", f"{error.strerror} (a row of {METADATA})", "make the file readable or remove its metadata.csv row")
        if LABELS_COLUMN in row:
            labels = split_labels(row[LABELS_COLUMN])
            return Clip(name, LABEL_SEPARATOR.join(labels), samples, sample_rate, row, labels)
        return Clip(name, row["label"], samples, sample_rate, row)

    clips, problems = [], []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for result in track(pool.map(load, rows), description, total=len(rows)):
            (problems if isinstance(result, Problem) else clips).append(result)
    return clips, problems


@dataclass
class LabelledParts:
    """The train pool and test part of one folder, decoded, plus every row that was skipped."""

    root: Path
    train: list[Clip]
    test: list[Clip]
    labels: list[str]
    skipped: list[Problem]

    @property
    def multi_label(self) -> bool:
        """Whether the folder is multi-label (``is_multi_label_clips`` of the train pool, which is never empty)."""
        return is_multi_label_clips(self.train)


def load_parts(
    root: str | Path,
    train_where: dict[str, set[str]],
    test_where: dict[str, set[str]],
    sample_rate: int,
    skip_bad: bool = False,
    allow_outside: bool = False,
) -> LabelledParts:
    """Select, decode and validate a train pool and a test part; all problems are raised together unless ``skip_bad``."""
    root = Path(root)
    rows, problems = read_rows(root)
    if not rows:
        raise DatasetError(root, problems + [Problem(METADATA, "empty metadata", "no well-formed rows" if problems else "no rows", "add one row per clip")], hint="")
    train_rows = select(rows, train_where, root)
    test_rows = select(rows, test_where, root)
    overlap = {same_file(r["file_name"]) for r in train_rows} & {same_file(r["file_name"]) for r in test_rows}
    if overlap:
        raise SelectionError(f"{len(overlap)} file(s) are in both the train and the test part (e.g. {sorted(overlap)[0]}); make the filters disjoint")

    problems += find_row_problems(train_rows + test_rows)
    train_rows, test_rows = without_problems(train_rows, problems), without_problems(test_rows, problems)
    train, train_problems = decode_rows(root, train_rows, sample_rate, "decoding train pool", allow_outside)
    test, test_problems = decode_rows(root, test_rows, sample_rate, "decoding test part", allow_outside)
    problems += train_problems + test_problems

    train_labels = Counter(label for c in train for label in c.all_labels)
    for label in sorted({label for r in train_rows for label in row_labels(r)} - set(train_labels)):
        problems.append(Problem(f"label {label!r}", "class with no clips", "every train clip of this class is bad", "fix its files or drop the class"))
    unseen = sorted({label for c in test for label in c.all_labels} - set(train_labels))
    for label in unseen:
        names = [c.file_name for c in test if label in c.all_labels]
        problems.append(
            Problem(
                names[0] + (f" and {len(names) - 1} more" if len(names) > 1 else ""),
                "unseen test label",
                f"label {label!r} has no clip in the train part",
                "add train clips of this class or drop it from the test part",
            )
        )
    if problems and not skip_bad:
        raise DatasetError(root, problems)
    test = [c for c in test if not set(c.all_labels) & set(unseen)]
    labels = sorted(train_labels)
    if len(labels) < 2:
        raise DatasetError(root, [Problem(METADATA, "too few classes", f"the train part has {len(labels)} class(es)", "select a part with at least two labels")], hint="")
    return LabelledParts(root, train, test, labels, problems)


def load_selection(
    root: str | Path,
    where: dict[str, set[str]] | None,
    sample_rate: int,
    skip_bad: bool = False,
    labels: list[str] | None = None,
    allow_outside: bool = False,
    multi_label: bool | None = None,
) -> tuple[list[Clip], list[Problem]]:
    """Decode the selected rows of one folder; with ``labels``, a row whose label is not among them is a problem too.

    With ``multi_label``, a folder of the other kind (``labels`` vs ``label`` column) is refused at once.
    """
    rows, problems = read_rows(root)
    if multi_label is not None and rows and is_multi_label_rows(rows) != multi_label:
        raise DatasetError(root, [kind_mismatch(root, multi_label)], hint="")
    rows = select(rows, where or {}, root)
    problems += find_row_problems(rows)
    if labels is not None:
        for r in rows:
            unknown = [label for label in row_labels(r) if label not in labels]
            if unknown:
                problems.append(Problem(r["file_name"], "unknown label", f"label {unknown[0]!r} is not a train label ({', '.join(labels)})", "relabel or remove the row"))
    clips, decode_problems = decode_rows(root, without_problems(rows, problems), sample_rate, f"decoding {Path(root).name}", allow_outside)
    problems += decode_problems
    if problems and not skip_bad:
        raise DatasetError(root, problems)
    return clips, problems


def kind_mismatch(root: str | Path, multi_label: bool) -> Problem:
    """The Problem of a folder whose kind (multi-label or not) is not the expected ``multi_label``."""
    path = Path(root) / METADATA
    if multi_label:
        return Problem(
            str(path), "single-label folder in a multi-label run", f"{path} has a label column; the data it joins has a labels column",
            "rename its label column to labels if each row's label is its only label (one label is a valid labels value), or pass a multi-label folder",
        )
    return Problem(
        str(path), "multi-label folder in a single-label run", f"{path} has a labels column; the data it joins has a label column",
        "pass a folder with a label column (one label per clip), or evaluate on multi-label data",
    )


def load_extra(
    root: str | Path,
    labels: list[str],
    sample_rate: int,
    where: dict[str, set[str]] | None = None,
    skip_bad: bool = False,
    allow_outside: bool = False,
    multi_label: bool | None = None,
) -> tuple[list[Clip], list[Problem]]:
    """Load extra training rows (e.g. synthetic clips) whose labels must all be known and, with ``multi_label``, whose folder is of that kind."""
    return load_selection(root, where, sample_rate, skip_bad, labels, allow_outside, multi_label)
