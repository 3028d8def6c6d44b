"""MixCap without an LLM: new captions composed by rules from the phrases of a label's real captions.

Why: MixCap's idea (Synthio, stage 4) is to mix what was heard across a label's clips into new
captions; with a weak or no LLM the mixing can be done by rules, and the captions are then
grammatical and name their label by construction. Each real caption is cut at its commas and
colon (the label's own words removed); a part that starts with a place preposition ("in silence",
"over a noisy background") is a *scene*, one that starts with "with" a *detail*, a single word a
*quality* ("loud", "muffled") and any other part an *event*. A new caption takes a seeded ~75 %
of its label's pool and reads "{a} {quality}, {quality} {label} {detail} and {event}, {scene}".

Pitfall: the rules read punctuation, not meaning; they suit the descriptor captioner's captions
("Sound of a dog bark: loud, muffled, with a few distinct onsets, in silence") and short
AudioCaps-style captions. Self-reflection without an LLM (``recompose``) prefers the pool's
phrases that no accepted caption of the label used.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from synthio.mixcap.schema import label_words

SCENE_WORDS = frozenset({"in", "on", "at", "over", "near", "inside", "outside", "under", "through", "by", "beside", "across", "from", "within", "amid"})
MAX_QUALITIES = 2


@dataclass
class PhrasePool:
    """The phrases of a label's real captions by kind, first-seen order, no duplicates."""

    qualities: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    scenes: list[str] = field(default_factory=list)

    def add(self, caption: str, label: str) -> None:
        """Cut ``caption`` into phrases (the label's own words removed) and file each under its kind."""
        words = label_words(label).lower()
        text = re.sub(rf"^\s*(the\s+)?sound\s+of\s+(an?\s+)?{re.escape(words)}\s*", "", caption.strip(), flags=re.IGNORECASE)
        for part in re.split(r"[,:;]|\band\b", text):
            phrase = " ".join(re.sub(re.escape(words), " ", part, flags=re.IGNORECASE).split()).strip(" .").lower()
            if not phrase or phrase in ("a", "an", "the", "sound", "sound of"):
                continue
            first = phrase.split()[0]
            kind = self.scenes if first in SCENE_WORDS else self.details if first == "with" else self.qualities if " " not in phrase else self.events
            if phrase not in kind:
                kind.append(phrase)

    def __len__(self) -> int:
        return len(self.qualities) + len(self.details) + len(self.events) + len(self.scenes)


def phrase_pools(captions: list[str], labels: list[str]) -> dict[str, PhrasePool]:
    """One pool per label from its real clips' captions."""
    pools = {label: PhrasePool() for label in labels}
    for caption, label in zip(captions, labels):
        pools[label].add(caption, label)
    return pools


def compose(label: str, qualities: list[str], details: list[str], events: list[str], scenes: list[str]) -> str:
    """One grammatical caption naming ``label`` from the chosen phrases."""
    head = " ".join(filter(None, [", ".join(qualities[:MAX_QUALITIES]), label_words(label)]))
    caption = f"{'an' if head[:1].lower() in 'aeiou' else 'a'} {head}"
    if details:
        caption += " " + " and ".join(d if i == 0 else d.removeprefix("with ") for i, d in enumerate(details))
    if events:
        caption += (" and " if details else " with ") + " and ".join(events)
    if scenes:
        caption += ", " + " and ".join(scenes)
    return caption


def _pick(rng: random.Random, phrases: list[str], share: float, limit: int | None = None) -> list[str]:
    """A seeded ~``share`` of ``phrases`` (at least one, at most ``limit``), in the pool's order."""
    chosen = rng.sample(range(len(phrases)), max(1, round(share * len(phrases)))) if phrases else []
    return [phrases[i] for i in sorted(chosen[:limit] if limit else chosen)]


def compose_captions(label: str, pool: PhrasePool, count: int, seed: int, share: float = 0.75) -> list[str]:
    """``count`` captions from seeded ~``share`` subsets of the pool, distinct while the pool allows (then repeated in turn)."""
    rng = random.Random(seed)
    captions: list[str] = []
    for _ in range(8 * count):
        caption = compose(label, _pick(rng, pool.qualities, share, MAX_QUALITIES), _pick(rng, pool.details, share, 1), _pick(rng, pool.events, share, 2), _pick(rng, pool.scenes, share, 1))
        if caption not in captions:
            captions.append(caption)
        if len(captions) == count:
            return captions
    return [captions[k % len(captions)] for k in range(count)]


def recompose(label: str, pool: PhrasePool, accepted: list[str], seed: int) -> str:
    """Self-reflection by rules: a caption from the pool's phrases that no accepted caption uses (all phrases when every one is used)."""
    used = " | ".join(accepted).lower()

    def fresh(phrases: list[str]) -> list[str]:
        return [p for p in phrases if p not in used] or phrases

    rng = random.Random(seed)
    return compose(label, _pick(rng, fresh(pool.qualities), 1.0, MAX_QUALITIES), _pick(rng, fresh(pool.details), 1.0, 1), _pick(rng, fresh(pool.events), 1.0, 2), _pick(rng, fresh(pool.scenes), 1.0, 1))
