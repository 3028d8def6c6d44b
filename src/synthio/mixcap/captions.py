"""MixCap (Synthio stage 4) and the caption rewrite of self-reflection (stage 7).

Prompt 1 extracts events and scenes from each real clip's caption; phrases that are the label
itself are dropped; the rest are pooled by label. Prompt 2 then writes new captions for each clip
from a random ~75 % of its label's pool, so captions mix what was heard across the label's clips.
A caption that does not contain its label is repaired by putting the label in front (counted,
never silent). Pitfall: a small local LLM repeats itself; the pooled subset and the seed change per
clip so repeated calls are different calls (and different cache entries).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from synthio.llm.structured import chat_json
from synthio.mixcap.schema import EventsScenes, NewCaptions, Revision, extraction_messages, reflection_messages, with_label, writing_messages


@dataclass
class Pool:
    """Events and scenes heard in a label's real clips (first-seen order, no duplicates)."""

    events: list[str] = field(default_factory=list)
    scenes: list[str] = field(default_factory=list)

    def add(self, found: EventsScenes) -> None:
        self.events += [e for e in found.events if e not in self.events]
        self.scenes += [s for s in found.scenes if s not in self.scenes]


def extract_pools(llm, captions: list[str], labels: list[str], seed: int = 0) -> dict[str, Pool]:
    """Prompt 1 on every caption; pooled by label with the label's own words removed."""
    pools: dict[str, Pool] = {label: Pool() for label in labels}
    for i, (caption, label) in enumerate(zip(captions, labels)):
        pools[label].add(chat_json(llm, extraction_messages(caption), EventsScenes, seed=seed + i).without_label(label))
    return pools


def write_captions(llm, label: str, pool: Pool, count: int, seed: int, share: float = 0.75) -> tuple[list[str], int]:
    """``count`` captions for one clip from a seeded ~``share`` of ``pool`` (prompt 2), and how many needed the label repair."""
    rng = random.Random(seed)
    events = rng.sample(pool.events, max(1, round(share * len(pool.events)))) if pool.events else []
    scenes = rng.sample(pool.scenes, max(1, round(share * len(pool.scenes)))) if pool.scenes else []
    captions: list[str] = []
    repaired = 0
    attempt = 0
    while len(captions) < count:
        answer = chat_json(llm, writing_messages(label, events, scenes, count), NewCaptions, seed=seed * 101 + attempt)
        for caption in answer.captions:
            fixed, was_repaired = with_label(caption, label)
            if fixed.lower() not in (c.lower() for c in captions) and len(captions) < count:
                captions.append(fixed)
                repaired += was_repaired
        attempt += 1
        if attempt >= 4 and len(captions) < count:
            captions += [captions[k % len(captions)] for k in range(count - len(captions))]
    return captions, repaired


def revise_caption(llm, rejected: str, label: str, accepted: list[str], seed: int) -> tuple[str, bool]:
    """Prompt 3: a rewrite of a rejected caption (label repair as above)."""
    return with_label(chat_json(llm, reflection_messages(rejected, label, accepted), Revision, seed=seed).caption, label)
