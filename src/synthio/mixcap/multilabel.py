"""MixCap for multi-label data: captions that name 2 to 4 labels, and the labels each generated clip carries.

Synthio's multi-label prompt writes captions naming several labels (2-4 per caption). Here each
real clip's captions name its own labels, topped up to ``MIN_LABELS`` with a seeded draw among the
split's other labels (a clip with one label gets one more) and cut to ``MAX_LABELS`` by a seeded
draw; every clip generated from those captions carries exactly the labels they name
(``caption_label_sets``). The phrases come from the pools of all the named labels: a real clip's
caption feeds the pool of each of its labels, with the words of all its labels removed.

Both caption paths exist: the LLM's (prompt 1 per real caption, prompt 2 naming every label, the
reflection prompt with the labels joined by "and") and the rule-based ``compose`` one (the named
labels' phrase pools merged, the head naming every label). A caption that misses a label's words
gets them put in front, counted as a repair, as in the single-label path.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from synthio.mixcap.captions import Pool, _ask, collect_captions
from synthio.mixcap.compose import PhrasePool, compose_captions, recompose
from synthio.mixcap.schema import MAX_CAPTION_WORDS, WRITER_SYSTEM, EventsScenes, Revision, extraction_messages, label_words, reflection_messages
from synthio.mixcap.validate import caption_problems

MIN_LABELS, MAX_LABELS = 2, 4


def joined(labels: Sequence[str]) -> str:
    """``("dog_bark", "siren", "car_horn")`` -> ``"dog_bark, siren and car_horn"``: the labels as one phrase."""
    labels = list(labels)
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def template_caption(labels: Sequence[str]) -> str:
    """The template caption naming every label: "Sound of a dog bark and a siren"."""
    return "Sound of " + " and ".join(f"a {label_words(label)}" for label in labels)


def caption_label_sets(label_sets: Sequence[Sequence[str]], seed: int) -> list[tuple[str, ...]]:
    """Per real clip, the labels its captions name: its own, topped up to ``MIN_LABELS`` from the split's other labels, cut to ``MAX_LABELS`` (seeded)."""
    rng = random.Random(seed)
    everything = sorted({label for labels in label_sets for label in labels})
    chosen = []
    for labels in label_sets:
        labels = list(dict.fromkeys(labels))
        others = [label for label in everything if label not in labels]
        if len(labels) < MIN_LABELS and others:
            labels += rng.sample(others, min(MIN_LABELS - len(labels), len(others)))
        if len(labels) > MAX_LABELS:
            keep = sorted(rng.sample(range(len(labels)), MAX_LABELS))
            labels = [labels[k] for k in keep]
        chosen.append(tuple(labels))
    return chosen


def with_labels(caption: str, labels: Sequence[str]) -> tuple[str, bool]:
    """``(caption, repaired)``: the words of every label the caption does not name are put in front ("siren, ...")."""
    caption = " ".join(caption.split()).strip(" ,;")
    missing = [label_words(label) for label in labels if label_words(label).lower() not in caption.lower()]
    if not missing:
        return caption, False
    return (f"{', '.join(missing)}, {caption}" if caption else template_caption(labels)), True


def problems(caption: str, labels: Sequence[str], prompt: str = "") -> list[str]:
    """``validate.caption_problems`` with every label's words as the caption's own words."""
    return caption_problems(caption, " ".join(labels), prompt)


def extract_label_pools(llm, captions: list[str], label_sets: Sequence[Sequence[str]], seed: int = 0) -> tuple[dict[str, Pool], int]:
    """Prompt 1 on every caption; what it finds joins the pool of each of the clip's labels (all its labels' words removed); and how many captions failed."""
    pools: dict[str, Pool] = {label: Pool() for labels in label_sets for label in labels}
    failed = 0
    for i, (caption, labels) in enumerate(zip(captions, label_sets)):
        found = _ask(llm, extraction_messages(caption), EventsScenes, seed=seed + i)
        if found is None:
            failed += 1
            continue
        for label in labels:
            found = found.without_label(label)
        for label in labels:
            pools[label].add(found)
    return pools, failed


def writing_messages(labels: Sequence[str], events: list[str], scenes: list[str], count: int) -> list[dict]:
    """Prompt 2 for several labels: ``{"captions": [...]}``, ``count`` captions each naming every label, heard together."""
    words = [label_words(label) for label in labels]
    names = joined([f'"{w}"' for w in words])
    pool = f"Events heard with them in other recordings: {', '.join(events) or 'none'}. Scenes: {', '.join(scenes) or 'none'}."
    instruction = (
        f'Write {count} different captions of recordings of "{joined(words)}" heard together. Each caption has at most {MAX_CAPTION_WORDS} words, '
        f"contains the words {names}, mostly reuses the events and scenes listed, may add one plausible new one, and never "
        f'contradicts them. Answer as JSON: {{"captions": [strings]}}.'
    )
    return [{"role": "system", "content": WRITER_SYSTEM}, {"role": "user", "content": f"{pool}\n{instruction}"}]


def merged_pool(pools: dict[str, Pool], labels: Sequence[str]) -> Pool:
    """The events and scenes of every named label's pool, first-seen order, no duplicates."""
    merged = Pool()
    for label in labels:
        merged.add(EventsScenes.model_construct(events=pools.get(label, Pool()).events, scenes=pools.get(label, Pool()).scenes))
    return merged


def write_label_captions(llm, labels: Sequence[str], pools: dict[str, Pool], count: int, seed: int, share: float = 0.75) -> tuple[list[str], int, int, int]:
    """``count`` captions naming every label from a seeded ~``share`` of their merged pools; repairs, failed calls, refused captions (as ``captions.write_captions``)."""
    return collect_captions(
        llm, merged_pool(pools, labels), count, seed, share,
        messages=lambda events, scenes: writing_messages(labels, events, scenes, count),
        refuse=lambda caption, prompt: problems(caption, labels, prompt),
        repair=lambda caption: with_labels(caption, labels),
        fallback=template_caption(labels),
    )


def revise_label_caption(llm, rejected: str, labels: Sequence[str], accepted: list[str], seed: int) -> tuple[str, bool, bool]:
    """Prompt 3 for several labels (named together); as ``captions.revise_caption``: the caption, whether repaired, whether the call failed."""
    messages = reflection_messages(rejected, joined(labels), accepted)
    answer = _ask(llm, messages, Revision, seed=seed)
    if answer is None or problems(answer.caption, labels, messages[-1]["content"]):
        return rejected, False, True
    return (*with_labels(answer.caption, labels), False)


def phrase_pools(captions: list[str], label_sets: Sequence[Sequence[str]]) -> dict[str, PhrasePool]:
    """``compose``'s pools: each real caption, with its other labels' words removed, cut into phrases for each of its labels."""
    pools = {label: PhrasePool() for labels in label_sets for label in labels}
    for caption, labels in zip(captions, label_sets):
        for label in labels:
            text = caption
            for other in labels:
                if other != label:
                    text = re.sub(rf"\b(an?\s+)?{re.escape(label_words(other))}\b", " ", text, flags=re.IGNORECASE)
            pools[label].add(text, label)
    return pools


def merged_phrases(pools: dict[str, PhrasePool], labels: Sequence[str]) -> PhrasePool:
    merged = PhrasePool()
    for label in labels:
        pool = pools.get(label, PhrasePool())
        for kind in ("qualities", "details", "events", "scenes"):
            getattr(merged, kind).extend(p for p in getattr(pool, kind) if p not in getattr(merged, kind))
    return merged


def compose_label_captions(labels: Sequence[str], pools: dict[str, PhrasePool], count: int, seed: int) -> list[str]:
    """``compose.compose_captions`` with the head naming every label and the named labels' phrases merged."""
    return compose_captions(joined(labels), merged_phrases(pools, labels), count, seed)


def recompose_labels(labels: Sequence[str], pools: dict[str, PhrasePool], accepted: list[str], seed: int) -> str:
    """Self-reflection by rules for several labels (``compose.recompose`` on the merged phrases)."""
    return recompose(joined(labels), merged_phrases(pools, labels), accepted, seed)


def write_all_captions(mode: str, llm, real_captions: list[str], label_sets: Sequence[Sequence[str]], factor: int, seed: int, seed_stride: int) -> dict:
    """The pipeline's captions stage for multi-label clips: ``{"captions": [[factor] per real clip], "labels": [named labels per real clip], counts...}``."""
    named = caption_label_sets(label_sets, seed)
    if mode == "template":
        return {"captions": [[template_caption(labels)] * factor for labels in named], "labels": named, "repaired": 0}
    if mode == "compose":
        pools = phrase_pools(real_captions, label_sets)
        captions = [compose_label_captions(labels, pools, factor, seed * seed_stride + i) for i, labels in enumerate(named)]
        return {"captions": captions, "labels": named, "repaired": 0, "pools": {k: vars(v) for k, v in pools.items()}}
    pools, extraction_failed = extract_label_pools(llm, real_captions, label_sets, seed=seed) if mode == "mixcap" else ({}, 0)
    written, repaired, writing_failed, refused = [], 0, 0, 0
    for i, labels in enumerate(named):
        captions, fixed, failed, invalid = write_label_captions(llm, labels, pools, factor, seed * seed_stride + i)
        written.append(captions)
        repaired, writing_failed, refused = repaired + fixed, writing_failed + failed, refused + invalid
    return {
        "captions": written, "labels": named, "repaired": repaired, "extraction_failed": extraction_failed, "writing_failed": writing_failed, "refused": refused,
        "pools": {label: {"events": p.events, "scenes": p.scenes} for label, p in pools.items()},
    }
