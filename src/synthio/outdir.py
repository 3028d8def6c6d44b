"""Output folders that never destroy a user's files: refused when unsafe, fingerprinted, locked.

Every command that writes a run folder (``augment``, ``evaluate``, ``align``, ``generate``,
``example``, ``prepare``, ``zeroshot``) claims it first (``corpus build``, resumable across
changing sources, has its own guard). A claim refuses an
``--out`` that is a file, the input folder, or inside it, or a non-empty folder that Synthio did
not make (``force`` overrides the last two). ``force`` lets a run write *beside* a user's files,
never over them: a folder Synthio did not make is still refused when it already holds one of the
names the command writes (``outputs``: names or glob patterns at the folder's top level), and the
names it held are recorded (``foreign``) so that they never count as the run's output;
records the command and the settings that shape the output in ``OUT/.synthio.json`` and refuses
a later run with other settings (resuming one run's output with another's settings mixes them)
once the folder holds a file but that record (a run refused on bad input leaves only the record
and empty folders, and the corrected command may then take the folder),
except that a folder an older version wrote may lack settings added since (``added_later``) while
they are set to what came before; and holds an exclusive ``flock`` on ``OUT/.synthio.lock`` for
as long as the run lasts, so two runs can never write one folder at once. The operating system
drops the lock when the process ends, also after ``kill -9``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from synthio.atomic import write_text_atomic
from synthio.errors import SynthioError

MARKER = ".synthio.json"
LOCK = ".synthio.lock"


class OutputFolderError(SynthioError):
    """An output folder that a run must not write to; the message says which folder and what to do."""


def fingerprint(settings: dict[str, Any]) -> str:
    """A short hash of JSON-able settings (key order does not matter)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def file_digest(path: str | Path | None) -> str | None:
    """SHA-256 of a file's bytes (a config's content, not its name), or None for no file."""
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise OutputFolderError(f"{path} does not exist or is not a file")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def as_recorded(settings: dict[str, Any], recorded: dict[str, Any], added_later: dict | set) -> dict[str, Any]:
    """``settings`` less the ``added_later`` keys (a pydantic-style ``exclude``: nested dicts, sets or True) that ``recorded`` lacks."""
    kept = dict(settings)
    for key, inner in (dict.fromkeys(added_later, True) if isinstance(added_later, set) else added_later).items():
        if key not in kept:
            continue
        if inner is True:
            if key not in recorded:
                kept.pop(key)
        elif isinstance(kept[key], dict) and isinstance(recorded.get(key), dict):
            kept[key] = as_recorded(kept[key], recorded[key], inner)
    return kept


def _flat(settings: dict, prefix: str = "") -> dict[str, Any]:
    """Nested settings as dotted keys (``t2a.sampler``), so that a change names the one setting that changed."""
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _changed(old: dict, new: dict) -> str:
    old, new = _flat(old), _flat(new)
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    shown = "; ".join(f"{k}: {json.dumps(old.get(k), default=str)} -> {json.dumps(new.get(k), default=str)}" for k in keys[:6]) + (" ..." if len(keys) > 6 else "")
    if any(".weights." in f".{k}." for k in keys):
        shown += "; the model files were changed since the folder was begun (another Synthio release's weights, or a model folder edited or replaced), so rerunning with the same settings cannot resume it: use the files it was begun with"
    return shown


def holds_output(out: Path, foreign: list[str]) -> bool:
    """Whether ``out`` holds a file a run wrote: not a record or lock (at any depth), not under the top-level names in ``foreign`` (the user's, there before the first claim); empty folders do not count."""
    return any(p.is_file() and p.name not in (MARKER, LOCK) and p.relative_to(out).parts[0] not in foreign for p in out.rglob("*"))


def check_output(
    out: Path, command: str, settings: dict[str, Any], inputs: tuple[Path, ...] = (), force: bool = False, added_later: dict | None = None, outputs: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Raise ``OutputFolderError`` unless ``out`` may receive this run's files (see the module docstring); the settings to record, as the folder's older version recorded them."""
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"the output folder {out} is a file, not a folder: name a folder")
    resolved = out.resolve()
    for source in inputs:
        source = Path(source).resolve()
        if resolved == source:
            raise OutputFolderError(f"the output folder {out} is the input folder {source}: the output would mix with (and could replace) its files; name another folder")
        if source in resolved.parents and not force:
            raise OutputFolderError(f"the output folder {out} lies inside the input folder {source}; name a folder outside it (or pass --force)")
    marker = out / MARKER
    if marker.is_file():
        try:
            recorded = json.loads(marker.read_text())
        except (OSError, ValueError) as error:
            raise OutputFolderError(f"{marker} is unreadable ({error}); delete {out} to start afresh") from None
        if recorded.get("command") != command:
            raise OutputFolderError(f"{out} holds the output of `synthio {recorded.get('command')}`, not `synthio {command}`; name another folder")
        as_before = as_recorded(settings, recorded.get("settings", {}), added_later or {})
        if recorded.get("fingerprint") == fingerprint(as_before):
            return as_before
        foreign = recorded.get("foreign", [])
        if not holds_output(out, foreign):
            return settings  # only the record of a run refused before it wrote: the corrected command takes the folder
        afresh = f"remove what Synthio wrote there (everything but {', '.join(foreign)}) to start afresh" if foreign else f"delete {out} to start afresh"
        raise OutputFolderError(
            f"{out} holds a `synthio {command}` run made with other settings ({_changed(recorded.get('settings', {}), as_before)}); "
            f"rerun with the same settings to resume it, or name another --out, or {afresh}"
        )
    if out.is_dir() and any(p.name != LOCK for p in out.iterdir()):
        if not force:
            raise OutputFolderError(f"{out} is not empty and was not written by Synthio; name an empty or new folder (or pass --force to write beside its files)")
        taken = sorted({p.name for pattern in outputs for p in out.glob(pattern)})
        if taken:
            shown = ", ".join(taken[:5]) + (f" and {len(taken) - 5} more" if len(taken) > 5 else "")
            raise OutputFolderError(
                f"{out} was not written by Synthio (it has no {MARKER}) and holds {shown}, which `synthio {command}` would replace; --force never overwrites a user's files: "
                "move them away or name another folder (a folder an older Synthio wrote before it kept that record: delete or rename it)"
            )
    return settings


@contextmanager
def claim_output(
    out: str | Path, command: str, settings: dict[str, Any], inputs: tuple[Path, ...] = (), force: bool = False, added_later: dict | None = None, outputs: tuple[str, ...] = ()
) -> Iterator[Path]:
    """Check ``out`` (``check_output``), lock it for the duration of the block and record the run's settings in it (as an older version recorded them, when it wrote the folder)."""
    out = Path(out)
    check_output(out, command, settings, inputs, force, added_later, outputs)
    try:
        out.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        blocking = next((parent for parent in out.parents if parent.exists() and not parent.is_dir()), None)
        if blocking is not None:
            raise OutputFolderError(f"cannot write to {out}: {blocking} is a file, not a folder; name another --out") from None
        raise OutputFolderError(f"cannot write to {out}: {error.strerror}; check its permissions and free space") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputFolderError(f"another synthio run is writing {out}; wait for it to finish or name another --out") from None
        settings = check_output(out, command, settings, inputs, force, added_later, outputs)
        marker = out / MARKER
        foreign = json.loads(marker.read_text()).get("foreign", []) if marker.is_file() else sorted(p.name for p in out.iterdir() if p.name not in (MARKER, LOCK))
        record = {"command": command, "fingerprint": fingerprint(settings), "settings": settings} | ({"foreign": foreign} if foreign else {})
        write_text_atomic(marker, json.dumps(record, indent=2, default=str))
        yield out
    finally:
        os.close(descriptor)
