"""The JSON shapes the LLM must return in MixCap, and the prompts that state them (DESIGN §1 stage 4)."""

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
        """Drop phrases that are the label itself (DESIGN: the label is added back when captions are written)."""
        words = label.replace("_", " ").lower()
        return EventsScenes(
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
