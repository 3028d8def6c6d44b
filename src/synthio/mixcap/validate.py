"""Checks that a caption written by an LLM is usable before it conditions the generator.

A small LLM writes fluent-looking nonsense ("tone, Narrace: In mid-pitched, stage."), lists,
echoes of its instructions or 40-word rambles; such a caption steers the text-to-audio model
nowhere. A caption passes when its words are real (whole words of the MiniLM tokenizer's
vocabulary, which the embedded models read; the label's own words, numbers and hyphenated parts
of real words are fine, and so are plain inflections of them), its length is 3 to 25 words and it repeats no 5 words of its prompt.
Whether it names the label is checked apart (``schema.with_label`` repairs that and counts it).
"""

from __future__ import annotations

import functools
import re

from synthio.mixcap.schema import MAX_CAPTION_WORDS, label_words

MIN_CAPTION_WORDS = 3
MAX_NON_WORD_SHARE = 0.15
ECHO_WORDS = 5
TOKEN = re.compile(r"^[a-z]+(?:'[a-z]+)?$")


@functools.cache
def vocabulary() -> frozenset[str]:
    """The whole words (no ``##`` pieces) of the MiniLM tokenizer's vocabulary."""
    from synthio.text import minilm_path

    return frozenset(line.strip() for line in (minilm_path() / "vocab.txt").read_text().splitlines() if line.strip().isalpha())


def known(word: str) -> bool:
    """A vocabulary word, or one by a plain English ending (-s, -es, -ed, -ing, -ly, with or without a final e)."""
    vocab = vocabulary()
    stems = [word] + [word[: -len(end)] + extra for end in ("s", "es", "ed", "ing", "ly") if word.endswith(end) for extra in ("", "e")]
    return any(stem in vocab for stem in stems)


def non_words(caption: str, label: str) -> list[str]:
    """The caption's tokens that are neither real words, numbers nor the label's own words."""
    own = set(label_words(label).lower().split()) | {label.lower()}
    found = []
    for token in caption.lower().split():
        token = token.strip(".,;:!?\"()[]")
        parts = [p for p in token.split("-") if p] if token else []
        if token and token not in own and not token.isdigit() and not all(TOKEN.match(p) and known(p.split("'")[0]) for p in parts):
            found.append(token)
    return found


def caption_problems(caption: str, label: str, prompt: str = "") -> list[str]:
    """Why ``caption`` is unusable (empty: it passes): non-words, too few or too many words, words echoed from ``prompt``."""
    words = caption.split()
    problems = []
    if not MIN_CAPTION_WORDS <= len(words) <= MAX_CAPTION_WORDS:
        problems.append(f"{len(words)} words (allowed {MIN_CAPTION_WORDS}-{MAX_CAPTION_WORDS})")
    bad = non_words(caption, label)
    if words and len(bad) > MAX_NON_WORD_SHARE * len(words):
        problems.append("not words: " + ", ".join(bad[:5]))
    said = [w.lower().strip(".,;:!?\"") for w in prompt.split()]
    prompt_grams = {tuple(said[i : i + ECHO_WORDS]) for i in range(len(said) - ECHO_WORDS + 1)}
    lowered = [w.lower().strip(".,;:!?\"") for w in words]
    if any(tuple(lowered[i : i + ECHO_WORDS]) in prompt_grams for i in range(len(lowered) - ECHO_WORDS + 1)):
        problems.append("repeats its prompt")
    return problems
