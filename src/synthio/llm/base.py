"""The ``LLM`` protocol every backend implements, with the same argument names everywhere."""

from __future__ import annotations

from typing import Protocol, TypedDict, runtime_checkable

from synthio.errors import SynthioError


class ChatMessage(TypedDict):
    role: str
    content: str


class LLMError(SynthioError, RuntimeError):
    """A backend that could not answer (after its own retries); the message says which and why."""


class LLMUnreachable(LLMError):
    """Nothing answers at the LLM's address (connection refused, no route): no request to it can succeed. A slow answer is not this."""


@runtime_checkable
class LLM(Protocol):
    """A chat model. ``name`` identifies the model for caching (two backends with one name must agree)."""

    name: str

    def chat(self, messages: list[ChatMessage], max_tokens: int = 256, temperature: float = 0.7, seed: int = 0) -> str: ...


def validate_messages(messages: list[ChatMessage]) -> None:
    """Raise on an empty conversation or a message without a known role or string content."""
    if not messages:
        raise ValueError("messages must not be empty")
    for i, message in enumerate(messages):
        if message.get("role") not in ("system", "user", "assistant"):
            raise ValueError(f"message {i} has role {message.get('role')!r}; use system, user or assistant")
        if not isinstance(message.get("content"), str):
            raise ValueError(f"message {i} has no string content")
