"""MixCap (Synthio stage 4) and the caption rewrite of self-reflection (stage 7).

Prompt 1 extracts events and scenes from each real clip's caption; phrases that are the label
itself are dropped; the rest are pooled by label. Prompt 2 then writes new captions for each clip
from a random ~75 % of its label's pool, so captions mix what was heard across the label's clips.
A caption that does not contain its label is repaired by putting the label in front (counted,
never silent). A call that never yields valid JSON (after ``chat_json``'s retries) does not stop
the run: extraction skips that caption, writing falls back to the template caption, reflection
keeps the rejected caption (a new seed still changes the clip); each is counted. A written caption
that ``validate.caption_problems`` refuses (non-words, length, an echo of the prompt) is dropped
and counted like a failed one.

Pitfall: a small local LLM repeats itself; the pooled subset and the seed change per clip so
repeated calls are different calls (and different cache entries).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from synthio.clap.base import template_prompt
from synthio.llm.structured import StructuredOutputError, chat_json
from synthio.mixcap.schema import (
    EventsScenes,
    NewCaptions,
    Revision,
    extraction_messages,
    reflection_messages,
    with_label,
    writing_messages,
)
from synthio.mixcap.validate import caption_problems


@dataclass
class Pool:
    """Events and scenes heard in a label's real clips (first-seen order, no duplicates)."""

    events: list[str] = field(default_factory=list)
    scenes: list[str] = field(default_factory=list)

    def add(self, found: EventsScenes) -> None:
        self.events += [e for e in found.events if e not in self.events]
        self.scenes += [s for s in found.scenes if s not in self.scenes]


def _ask(llm, messages: list[dict], schema, seed: int):
    """``chat_json``'s answer, or None when the model never produced valid JSON (callers count it)."""
    try:
        return chat_json(llm, messages, schema, seed=seed)
    except StructuredOutputError:
        return None


def extract_pools(llm, captions: list[str], labels: list[str], seed: int = 0) -> tuple[dict[str, Pool], int]:
    """Prompt 1 on every caption; pooled by label with the label's own words removed; and how many captions gave no valid answer."""
    pools: dict[str, Pool] = {label: Pool() for label in labels}
    failed = 0
    for i, (caption, label) in enumerate(zip(captions, labels)):
        found = _ask(llm, extraction_messages(caption), EventsScenes, seed=seed + i)
        if found is None:
            failed += 1
        else:
            pools[label].add(found.without_label(label))
    return pools, failed


def write_captions(llm, label: str, pool: Pool, count: int, seed: int, share: float = 0.75) -> tuple[list[str], int, int, int]:
    """``count`` captions for one clip from a seeded ~``share`` of ``pool`` (prompt 2); how many needed the label repair; how many calls failed; how many captions ``caption_problems`` refused.

    With no usable caption after 4 calls, all ``count`` are the template caption.
    """
    return collect_captions(
        llm, pool, count, seed, share,
        messages=lambda events, scenes: writing_messages(label, events, scenes, count),
        refuse=lambda caption, prompt: caption_problems(caption, label, prompt),
        repair=lambda caption: with_label(caption, label),
        fallback=template_prompt(label),
    )


def collect_captions(llm, pool: Pool, count: int, seed: int, share: float, messages: Callable, refuse: Callable, repair: Callable, fallback: str) -> tuple[list[str], int, int, int]:
    """The writing loop of prompt 2 (single- and multi-label): ask up to 4 times, drop refused and repeated captions, repair the rest, fill from what was kept (or ``fallback``)."""
    rng = random.Random(seed)
    events = rng.sample(pool.events, max(1, round(share * len(pool.events)))) if pool.events else []
    scenes = rng.sample(pool.scenes, max(1, round(share * len(pool.scenes)))) if pool.scenes else []
    captions: list[str] = []
    repaired = failed = invalid = attempt = 0
    while len(captions) < count:
        asked = messages(events, scenes)
        answer = _ask(llm, asked, NewCaptions, seed=seed * 101 + attempt)
        failed += answer is None
        for caption in answer.captions if answer else []:
            if refuse(caption, asked[-1]["content"]):
                invalid += 1
                continue
            fixed, was_repaired = repair(caption)
            if fixed.lower() not in (c.lower() for c in captions) and len(captions) < count:
                captions.append(fixed)
                repaired += was_repaired
        attempt += 1
        if attempt >= 4 and len(captions) < count:
            fill = captions or [fallback]
            captions += [fill[k % len(fill)] for k in range(count - len(captions))]
    return captions, repaired, failed, invalid


def revise_caption(llm, rejected: str, label: str, accepted: list[str], seed: int) -> tuple[str, bool, bool]:
    """Prompt 3: a rewrite of a rejected caption (label repair as above); whether the call failed or its caption is unusable (then the caption is ``rejected``)."""
    messages = reflection_messages(rejected, label, accepted)
    answer = _ask(llm, messages, Revision, seed=seed)
    if answer is None or caption_problems(answer.caption, label, messages[-1]["content"]):
        return rejected, False, True
    return (*with_label(answer.caption, label), False)
