"""Procedural mixtures of clips the other sources already wrote: an event over a background, or two events.

Drawn from the built corpus folder only, so the evaluation pools and test parts stay out (the
folder sources read only the pretraining parts). Mixture ``i`` depends only on the seed, ``i``
and the sorted clips it draws from, so a rebuild gives the same mixtures. Captions name both
sounds: "Sound of a dog bark over rain", "Sound of a car horn and a bird chirping".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from synthio.audio import AudioError, read_audio
from synthio.pretraining.corpus.base import CorpusItem, article
from synthio.progress import say

BACKGROUND_WORDS = {
    "rain", "wind", "water", "river", "stream", "waterfall", "sea", "seashore", "ocean", "waves", "campfire", "crowd", "traffic", "engine", "idling",
    "air conditioner", "ambience", "ambient", "drone", "hum", "street music", "children playing", "jackhammer", "drilling", "forest", "birds",
    "crickets", "applause", "static",
}  # whole words only: "fire" and "machine" would also catch "rapid-fire gun" and "machine gun"
SPEECH_SOURCES = {"fsdd", "espeak"}


def phrase(row: dict) -> str:
    """The noun phrase a mixture caption uses for one built clip: "Sound of a dog bark: loud" -> "a dog bark"."""
    text = row.get("text") or row["caption"].split(": ")[0]
    text = re.sub(r"^sound of\s+", "", text.strip(), flags=re.IGNORECASE)
    first, _, rest = text.partition(", ")
    if re.search(r"\d", first) and rest:  # "a 7, a voice saying seven" -> "a voice saying seven"
        first = rest.split(", ")[0]
    first = first.strip()
    bare = re.sub(r"^(a|an)\s+", "", first)
    if bare == first and not first.startswith("the "):
        return first
    return f"{article(bare)} {bare}"


def is_background(row: dict) -> bool:
    """A stationary sound that can sit under an event: its label or text names rain, wind, an engine, a crowd..."""
    words = f" {row['label']} {row.get('text', row['caption'])} ".lower().replace("_", " ")
    return any(re.search(rf"\b{re.escape(w)}\b", words) for w in BACKGROUND_WORDS)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) + 1e-8


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """Loop or cut a background to ``n`` samples."""
    return np.resize(x, n) if len(x) < n else x[:n]


class Mixtures:
    """``count`` mixtures of the built clips in ``corpus`` (half event over background, half two events), each ``seconds`` long."""

    name = "mixtures"
    licence = "inherits the licences of the clips it mixes (see the other sources)"

    def __init__(self, corpus: str | Path | None, sources: list[str], count: int = 5000, seconds: float = 4.0, seed: int = 0, sample_rate: int = 16000):
        self.corpus, self.sources, self.count, self.seconds, self.seed, self.sample_rate = Path(corpus) if corpus else None, sources, count, seconds, seed, sample_rate
        self.requires: dict[str, str] = {}

    def settings(self) -> dict:
        """What ``corpus_settings.json`` records of this source: a rerun with another count or seed is refused."""
        return {"mixtures": self.count, "mixtures_seed": self.seed}

    def _rows(self) -> list[dict]:
        rows = []
        for source in self.sources:
            path = self.corpus / f"{source}.rows.jsonl" if self.corpus else None
            if path is None or not path.is_file():
                continue
            for line in path.read_text().splitlines():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    break
        return sorted(rows, key=lambda r: r["file_name"])

    def _pools(self) -> tuple[list[dict], list[dict]]:
        rows = self._rows()
        backgrounds = [r for r in rows if is_background(r) and r["source"] not in SPEECH_SOURCES]
        events = [r for r in rows if not is_background(r)]
        return backgrounds, events

    def available(self) -> str | None:
        if self.corpus is None:
            return "needs the corpus folder it is built into"
        backgrounds, events = self._pools()
        if not backgrounds or len(events) < 2:
            return f"needs built clips to mix: {len(backgrounds)} backgrounds and {len(events)} events in {self.corpus} (build the other sources first)"
        return None

    def keys(self) -> list[str]:
        return [f"mix_{i:05d}" for i in range(self.count)]

    def plan(self) -> list[tuple[str, dict, dict, int] | None]:
        """For each key: (kind, first row, second row, per-mixture seed); kind is "over" (event, background) or "and" (two events that sound different; None when every event has one phrase)."""
        backgrounds, events = self._pools()
        names = [phrase(e) for e in events]
        out: list[tuple[str, dict, dict, int] | None] = []
        for i in range(self.count):
            rng = np.random.default_rng([self.seed, i])
            if i % 2 == 0:
                out.append(("over", events[rng.integers(len(events))], backgrounds[rng.integers(len(backgrounds))], int(rng.integers(2**31))))
                continue
            a, b = (int(k) for k in rng.choice(len(events), size=2, replace=False))
            if names[a] == names[b]:
                others = [k for k, name in enumerate(names) if name != names[a]]
                if not others:
                    out.append(None)
                    continue
                b = others[int(rng.integers(len(others)))]
            out.append(("and", events[a], events[b], int(rng.integers(2**31))))
        return out

    def caption(self, kind: str, first: dict, second: dict) -> tuple[str, str]:
        """(label, text): ``("dog bark + rain", "Sound of a dog bark over rain")``."""
        glue = " over " if kind == "over" else " and "
        second_phrase = phrase(second)
        if kind == "over":
            second_phrase = re.sub(r"^(a|an)\s+(rain|wind|water|traffic|static|noise|applause|ambience|fire)\b", r"\2", second_phrase)
        return f"{first['label']} + {second['label']}", f"Sound of {phrase(first)}{glue}{second_phrase}"

    def mix(self, kind: str, first: np.ndarray, second: np.ndarray, seed: int) -> np.ndarray:
        """Place the event(s) at random offsets in a ``seconds``-long clip; the event sits 3-12 dB over a background, two events within 6 dB."""
        rng = np.random.default_rng(seed)
        n = int(self.seconds * self.sample_rate)
        out = np.zeros(n, dtype=np.float32)
        if kind == "over":
            bed = _fit(second, n)
            out += bed / _rms(bed) * 0.05
            event = first[:n]
            gain = 0.05 * 10 ** (rng.uniform(3, 12) / 20) / _rms(event)
            start = int(rng.integers(0, n - len(event) + 1))
            out[start : start + len(event)] += event * gain
        else:
            for event, db in ((first[: n // 2 + n // 4], 0.0), (second[: n // 2 + n // 4], rng.uniform(-6, 6))):
                start = int(rng.integers(0, n - len(event) + 1))
                out[start : start + len(event)] += event / _rms(event) * 0.05 * 10 ** (db / 20)
        peak = float(np.abs(out).max())
        return (out * (0.9 / peak) if peak > 0.9 else out).astype(np.float32)

    def items(self, skip: set[str]) -> Iterator[CorpusItem]:
        plan = self.plan()
        if None in plan:
            say(f"{self.name}: skipped", f"{plan.count(None)} two-event mixtures: every built event sounds the same ({phrase(self._pools()[1][0])!r}); build more sources to mix different events")
        for key, entry in zip(self.keys(), plan):
            if key in skip or entry is None:
                continue
            kind, first, second, seed = entry
            try:
                a, b = (read_audio(self.corpus / r["file_name"], self.sample_rate) for r in (first, second))
            except AudioError as error:
                say(f"{self.name}: skipped", error)
                continue
            label, text = self.caption(kind, first, second)
            yield CorpusItem(key, label, text, self.mix(kind, a, b, seed), self.sample_rate)
