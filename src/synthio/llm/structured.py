"""Structured output: a JSON shape stated in the prompt, parsed, validated with pydantic, repaired or retried."""

from __future__ import annotations

import json
import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from synthio.errors import SynthioError
from synthio.llm.base import LLM, ChatMessage
from synthio.llm.constrained import flat_fields

M = TypeVar("M", bound=BaseModel)


class StructuredOutputError(SynthioError, ValueError):
    """The model never produced valid JSON for the schema; names the prompt and the last reply."""

    def __init__(self, schema: type[BaseModel], prompt: str, reply: str, error: str, attempts: int):
        self.prompt, self.reply = prompt, reply
        super().__init__(
            f"no valid {schema.__name__} JSON after {attempts} attempt(s).\n"
            f"prompt: {prompt[:500]!r}\nlast reply: {reply[:500]!r}\nlast error: {error}"
        )


def extract_json(text: str) -> object:
    """The first JSON object or array in ``text`` (code fences and chatter around it ignored)."""
    text = re.sub(r"```(?:json)?", "", text)
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = decoder.raw_decode(text[match.start() :])
            return value
        except json.JSONDecodeError:
            continue
    raise ValueError("no JSON object found in the reply")


def parse_reply(text: str, schema: type[M]) -> M:
    """Extract and validate; raises ValueError with a message the model can be shown."""
    value = extract_json(text)
    try:
        return schema.model_validate(value)
    except ValidationError as error:
        raise ValueError(f"the JSON does not match the schema: {error.errors(include_url=False)}") from None


def chat_json(
    llm: LLM,
    messages: list[ChatMessage],
    schema: type[M],
    attempts: int = 3,
    max_tokens: int = 256,
    temperature: float = 0.7,
    seed: int = 0,
) -> M:
    """Ask until a reply parses into ``schema``: each retry changes the seed and tells the model what was wrong.

    Backends with ``supports_constrained`` (local models) decode the JSON structure themselves
    (``synthio.llm.constrained``), so only the content can fail validation.
    """
    constrained = getattr(llm, "supports_constrained", False)
    fields = flat_fields(schema) if constrained else {}
    conversation = list(messages)
    reply, error = "", ""
    for attempt in range(attempts):
        if constrained:
            reply = llm.chat_constrained(conversation, fields, temperature=temperature, seed=seed + attempt)
        else:
            reply = llm.chat(conversation, max_tokens=max_tokens, temperature=temperature, seed=seed + attempt)
        try:
            return parse_reply(reply, schema)
        except ValueError as problem:
            error = str(problem)
        conversation = list(messages) + [
            {"role": "assistant", "content": reply},
            {"role": "user", "content": f"That reply was not valid: {error}. Answer again with only the JSON."},
        ]
    raise StructuredOutputError(schema, messages[-1]["content"], reply, error, attempts)
