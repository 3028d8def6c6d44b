"""The run log of ``synthio augment``: an append-only JSONL of clip events, safe against a kill at any moment.

Each row is one event about one clip (``{"id", "event": "generated" | "scored", ...}``); a clip's
state is the merge of its rows in order. A row is appended (and fsynced) only after the file it
describes is complete, and files are written to a temporary name and renamed, so a killed run
leaves at worst a finished file with no row (regenerated from the same seed on rerun, replacing
it) or a half-written last line, which ``load`` cuts off before anything is appended after it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from synthio.atomic import write_text_atomic  # noqa: F401  (re-exported until evaluation.py and synthio.prepare import it from synthio.atomic)


class EventLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load(self) -> dict[str, dict]:
        """``{id: merged row}`` in first-seen order; a trailing partial line is removed from the file."""
        if not self.path.exists():
            return {}
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
            with open(self.path, "r+b") as f:
                f.truncate(len(data))
        merged: dict[str, dict] = {}
        for line in data.decode().splitlines():
            row = json.loads(line)
            merged.setdefault(row["id"], {}).update(row)
        return merged

    def append(self, rows: list[dict]) -> None:
        if not rows:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:
            f.write("".join(json.dumps(row) + "\n" for row in rows))
            f.flush()
            os.fsync(f.fileno())
