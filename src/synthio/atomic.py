"""Atomic file writes: every file Synthio writes appears whole or not at all, even after ``kill -9``.

A file is written to a hidden temporary name beside its target (``.NAME.<pid>.<random>.tmp``, so
two processes never share one and a folder listing or glob for ``NAME``'s pattern skips it),
then renamed over the target with ``os.replace``, which is atomic within one file system. The
temporary is removed when writing fails; one that a killed process leaves behind is hidden and
harmless. The parent folder is created first. The file gets the umask's mode, as ``open`` gives.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMPORARY_NAME = re.compile(r"^\..+\.\d+\.[0-9a-f]{8}\.tmp(\.\w+)?$")


def temporary_path(path: Path, suffix: str = "") -> Path:
    """A hidden, unique name beside ``path``: ``.NAME.<pid>.<random>.tmp`` plus ``suffix``."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{suffix}")


def write_atomic(path: str | Path, write: Callable[[Path], Any], suffix: str = "") -> Path:
    """Call ``write(temporary)`` (``torch.save``, ``np.savez``, ``shutil.copyfile``, ...), then rename it to ``path``; ``suffix`` ends the temporary for writers that need one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path, suffix)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return write_atomic(path, lambda tmp: tmp.write_text(text))


def write_json_atomic(path: str | Path, value: Any, **dumps: Any) -> Path:
    """Write ``json.dumps(value, **dumps)`` to ``path`` atomically."""
    return write_text_atomic(path, json.dumps(value, **dumps))


def cached_json(path: Path, compute: Callable[[], Any]) -> Any:
    """The JSON at ``path``, or ``compute()`` written there atomically."""
    if path.exists():
        return json.loads(path.read_text())
    value = compute()
    write_json_atomic(path, value, indent=1)
    return value


def remove_temporaries(folder: str | Path) -> int:
    """Delete the temporaries a killed process left under ``folder`` (only names ``temporary_path`` makes); how many."""
    removed = 0
    for parent, _, names in os.walk(folder):
        for name in names:
            if TEMPORARY_NAME.match(name):
                Path(parent, name).unlink(missing_ok=True)
                removed += 1
    return removed
