"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server) through the ``openai`` SDK."""

from __future__ import annotations

import os

from synthio.llm.base import ChatMessage, LLMError, validate_messages


class OpenAICompatibleLLM:
    """Chat completions at ``base_url`` with ``model``; the API key is read from the environment variable ``api_key_env``.

    The SDK retries connection errors, 408/409/429 and 5xx with exponential backoff and honours
    ``Retry-After``; ``max_retries`` and ``timeout_seconds`` bound the wait. Nothing connects at
    construction. Local servers that need no key accept any value: the key defaults to ``"none"``
    when the variable is unset and ``require_key`` is False.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        require_key: bool = False,
        timeout_seconds: float = 60.0,
        max_retries: int = 4,
    ):
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.require_key = require_key
        self.timeout_seconds = timeout_seconds
        self.max_retries = max_retries
        self._client = None

    @property
    def name(self) -> str:
        return f"openai:{self.base_url or 'default'}:{self.model}"

    def _get_client(self):
        if self._client is None:
            from openai import OpenAI

            key = os.environ.get(self.api_key_env)
            if key is None and self.require_key:
                raise LLMError(f"environment variable {self.api_key_env} is not set; export it with your API key")
            self._client = OpenAI(api_key=key or "none", base_url=self.base_url, timeout=self.timeout_seconds, max_retries=self.max_retries)
        return self._client

    def chat(self, messages: list[ChatMessage], max_tokens: int = 256, temperature: float = 0.7, seed: int = 0) -> str:
        import openai

        validate_messages(messages)
        try:
            response = self._get_client().chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=temperature, seed=seed
            )
        except openai.APITimeoutError as error:
            raise LLMError(f"{self.name}: no answer within {self.timeout_seconds} s after {self.max_retries} retries") from error
        except openai.APIStatusError as error:
            raise LLMError(f"{self.name}: HTTP {error.status_code} after {self.max_retries} retries: {error.message}") from error
        except openai.APIConnectionError as error:
            raise LLMError(f"{self.name}: cannot connect to {self.base_url}: {error}") from error
        if not response.choices or response.choices[0].message.content is None:
            raise LLMError(f"{self.name}: the reply has no message content")
        return response.choices[0].message.content
