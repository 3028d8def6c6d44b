"""An on-disk cache of chat replies keyed by (model, messages, parameters), so reruns cost nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from synthio.atomic import write_json_atomic
from synthio.llm.base import LLM, ChatMessage


class CachedLLM:
    """Wraps any ``LLM``; one JSON file per distinct call under ``cache_dir``, written atomically.

    Pitfall: a cached reply is returned even if the model behind ``name`` changed; give a new
    model a new name (or a new cache folder).
    """

    def __init__(self, llm: LLM, cache_dir: str | Path):
        self.llm = llm
        self.cache_dir = Path(cache_dir)
        self.hits = 0
        self.misses = 0

    @property
    def name(self) -> str:
        return self.llm.name

    @property
    def supports_constrained(self) -> bool:
        return bool(getattr(self.llm, "supports_constrained", False))

    def key(self, messages: list[ChatMessage], **parameters) -> str:
        payload = {"model": self.llm.name, "messages": messages, **parameters}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def _cached(self, messages: list[ChatMessage], compute, **parameters) -> str:
        key = self.key(messages, **parameters)
        path = self.cache_dir / key[:2] / f"{key}.json"
        if path.is_file():
            try:
                reply = json.loads(path.read_text())["reply"]
                self.hits += 1
                return reply
            except (json.JSONDecodeError, KeyError):
                pass
        reply = compute()
        self.misses += 1
        write_json_atomic(path, {"model": self.llm.name, "messages": messages, "parameters": parameters, "reply": reply}, ensure_ascii=False)
        return reply

    def chat(self, messages: list[ChatMessage], max_tokens: int = 256, temperature: float = 0.7, seed: int = 0) -> str:
        compute = lambda: self.llm.chat(messages, max_tokens=max_tokens, temperature=temperature, seed=seed)  # noqa: E731
        return self._cached(messages, compute, max_tokens=max_tokens, temperature=temperature, seed=seed)

    def chat_constrained(self, messages: list[ChatMessage], fields: dict[str, str], temperature: float = 0.7, seed: int = 0) -> str:
        compute = lambda: self.llm.chat_constrained(messages, fields, temperature=temperature, seed=seed)  # noqa: E731
        return self._cached(messages, compute, fields=fields, temperature=temperature, seed=seed)
