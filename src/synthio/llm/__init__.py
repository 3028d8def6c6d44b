"""Language models behind one protocol: ``chat(messages, max_tokens, temperature, seed) -> str``."""

from synthio.llm.base import LLM, ChatMessage, LLMError

__all__ = ["LLM", "ChatMessage", "LLMError"]
