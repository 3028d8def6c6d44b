"""The JSON shapes the LLM must return in MixCap, and the prompts that state them (Synthio, Ghosh et al. 2025, stage 4; docs/pipeline.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from synthio.llm.base import ChatMessage


class EventsScenes(BaseModel):
    """Prompt 1's answer: sound events and acoustic scenes heard in one caption (at least one event)."""

    model_config = ConfigDict(extra="forbid")

    events: list[str]
    scenes: list[str] = Field(default_factory=list)

    @field_validator("events", "scenes")
    @classmethod
    def _clean(cls, phrases: list[str]) -> list[str]:
        cleaned = []
        for phrase in phrases:
            if not isinstance(phrase, str):
                raise ValueError("every item must be a string")
            phrase = " ".join(phrase.split()).strip(" .,;")
            if len(phrase.split()) > 8:
                raise ValueError(f"{phrase!r} is longer than 8 words; use short phrases")
            if phrase and phrase.lower() not in (c.lower() for c in cleaned):
                cleaned.append(phrase)
        return cleaned

    @model_validator(mode="after")
    def _some_event(self) -> EventsScenes:
        if not self.events:
            raise ValueError("events must name at least one sound")
        return self

    def without_label(self, label: str) -> EventsScenes:
        """Drop phrases that are the label itself (the label is added back when captions are written; docs/pipeline.md, stage 4); may leave no event."""
        words = label.replace("_", " ").lower()
        return EventsScenes.model_construct(
            events=[e for e in self.events if e.lower() not in (words, f"a {words}", f"the {words}")],
            scenes=[s for s in self.scenes if s.lower() not in (words, f"a {words}", f"the {words}")],
        )


EXTRACTION_SYSTEM = "You extract sound events and acoustic scenes from audio captions. Answer with JSON only."

EXTRACTION_EXAMPLE_CAPTION = "A dog barks twice while cars pass by on a rainy street"
EXTRACTION_EXAMPLE_ANSWER = '{"events": ["dog barking", "cars passing", "rain"], "scenes": ["street"]}'


def extraction_messages(caption: str) -> list[ChatMessage]:
    """Prompt 1: ``{"events": [...], "scenes": [...]}`` for one caption, with one worked example."""
    instruction = 'List the sound events and the scenes in the caption as JSON: {"events": [short phrases], "scenes": [short phrases]}.'
    return [
        {"role": "system", "content": EXTRACTION_SYSTEM},
        {"role": "user", "content": f"{instruction}\nCaption: {EXTRACTION_EXAMPLE_CAPTION}"},
        {"role": "assistant", "content": EXTRACTION_EXAMPLE_ANSWER},
        {"role": "user", "content": f"{instruction}\nCaption: {caption}"},
    ]


MAX_CAPTION_WORDS = 25


def label_words(label: str) -> str:
    return label.replace("_", " ").strip()


def with_label(caption: str, label: str) -> tuple[str, bool]:
    """``(caption, repaired)``: a caption that does not name the label gets "{label}, " in front (the repair counted in run.json)."""
    caption = " ".join(caption.split()).strip(" ,;")
    words = label_words(label)
    if words.lower() in caption.lower():
        return caption, False
    return f"{words}, {caption}" if caption else f"Sound of a {words}", True


class NewCaptions(BaseModel):
    """Prompt 2's answer: new captions for one clip (at most 25 words each, at least one)."""

    model_config = ConfigDict(extra="forbid")

    captions: list[str]

    @field_validator("captions")
    @classmethod
    def _short(cls, captions: list[str]) -> list[str]:
        kept = [" ".join(c.split()) for c in captions if isinstance(c, str) and c.strip()]
        if not kept:
            raise ValueError("captions must hold at least one non-empty caption")
        for caption in kept:
            if len(caption.split()) > MAX_CAPTION_WORDS:
                raise ValueError(f"{caption!r} has more than {MAX_CAPTION_WORDS} words")
        return kept


class Revision(BaseModel):
    """Prompt 3's answer: one rewritten caption."""

    model_config = ConfigDict(extra="forbid")

    caption: str

    @field_validator("caption")
    @classmethod
    def _short(cls, caption: str) -> str:
        caption = " ".join(caption.split())
        if not caption:
            raise ValueError("caption must not be empty")
        if len(caption.split()) > MAX_CAPTION_WORDS:
            raise ValueError(f"the caption has more than {MAX_CAPTION_WORDS} words")
        return caption


WRITER_SYSTEM = "You write short, concrete captions of audio recordings, as in AudioCaps. Answer with JSON only."


def writing_messages(label: str, events: list[str], scenes: list[str], count: int) -> list[ChatMessage]:
    """Prompt 2: ``{"captions": [...]}``, ``count`` new captions containing the label, mostly reusing the pooled events and scenes."""
    words = label_words(label)
    pool = f"Events heard with it in other recordings: {', '.join(events) or 'none'}. Scenes: {', '.join(scenes) or 'none'}."
    instruction = (
        f'Write {count} different captions of recordings of "{words}". Each caption has at most {MAX_CAPTION_WORDS} words, '
        f'contains the words "{words}", mostly reuses the events and scenes listed, may add one plausible new one, and never '
        f'contradicts "{words}". Answer as JSON: {{"captions": [strings]}}.'
    )
    return [{"role": "system", "content": WRITER_SYSTEM}, {"role": "user", "content": f"{pool}\n{instruction}"}]


def reflection_messages(rejected: str, label: str, accepted: list[str]) -> list[ChatMessage]:
    """Prompt 3: ``{"caption": ...}``, the rejected caption rewritten to differ from the accepted ones while staying true to the label."""
    words = label_words(label)
    shown = "; ".join(accepted[:8]) or "none yet"
    instruction = (
        f'The caption "{rejected}" produced audio that did not sound like "{words}". Captions that worked: {shown}. '
        f'Rewrite the rejected caption so that its events and scenes differ from the ones that worked, it clearly describes "{words}", '
        f'and it has at most {MAX_CAPTION_WORDS} words. Answer as JSON: {{"caption": string}}.'
    )
    return [{"role": "system", "content": WRITER_SYSTEM}, {"role": "user", "content": instruction}]
