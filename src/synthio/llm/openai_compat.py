"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server) through the ``openai`` SDK."""

from __future__ import annotations

import os
import re
import threading
import time
from contextlib import contextmanager
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from synthio.llm.base import ChatMessage, LLMError, LLMUnreachable, validate_messages
from synthio.progress import say

SECRET_NAME = re.compile(r"key|token|secret|pass|auth|sig|credential", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with its userinfo password and secret-looking query values (key, token, secret, ...) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        has_password = parts.password is not None
    except ValueError:
        return "***"
    netloc = parts.netloc
    if has_password:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    fields = [field.partition("=") for field in parts.query.split("&")] if parts.query else []
    query = "&".join(f"{name}=***" if sep and SECRET_NAME.search(unquote_plus(name)) else name + sep + value for name, sep, value in fields)
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


class OpenAICompatibleLLM:
    """Chat completions at ``base_url`` with ``model``; the API key is read from the environment variable ``api_key_env``.

    The SDK retries connection errors, 408/409/429 and 5xx with exponential backoff and honours
    ``Retry-After``; ``max_retries`` and ``timeout_seconds`` (per attempt) bound the wait, and a
    call still waiting after ``notice_seconds`` says so on the console (then at doubling
    intervals). Nothing connects at construction. Local servers that need no key accept any
    value: the key defaults to ``"none"`` when the variable is unset and ``require_key`` is False.
    ``name`` (it reaches run.json and the cache) shows ``base_url`` through ``redact_url``.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        require_key: bool = False,
        timeout_seconds: float = 30.0,
        max_retries: int = 2,
        notice_seconds: float = 5.0,
    ):
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.require_key = require_key
        self.timeout_seconds = timeout_seconds
        self.max_retries = max_retries
        self.notice_seconds = notice_seconds
        self._client = None

    @property
    def name(self) -> str:
        return f"openai:{redact_url(self.base_url) if self.base_url else 'default'}:{self.model}"

    @property
    def where(self) -> str:
        """The endpoint for messages, credentials redacted."""
        return redact_url(self.base_url) if self.base_url else "the OpenAI API"

    def _get_client(self):
        if self._client is None:
            from openai import OpenAI

            key = os.environ.get(self.api_key_env)
            if key is None and self.require_key:
                raise LLMError(f"environment variable {self.api_key_env} is not set; export it with your API key")
            self._client = OpenAI(api_key=key or "none", base_url=self.base_url, timeout=self.timeout_seconds, max_retries=self.max_retries)
        return self._client

    @contextmanager
    def _notice_while_waiting(self, started: float):
        """Say that the call is still waiting after ``notice_seconds``, then at doubling intervals, until the block ends."""
        done = threading.Event()

        def notice():
            wait = self.notice_seconds
            while not done.wait(wait):
                say("llm:", f"waiting for {self.where} ({time.monotonic() - started:.0f} s; {self.timeout_seconds:g} s per attempt, {self.max_retries} retries)")
                wait *= 2

        thread = threading.Thread(target=notice, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def _gave_up(self, started: float) -> str:
        """How long a failed call waited in all, and the two settings that bound it."""
        return (
            f"waited {time.monotonic() - started:.1f} s in all over {self.max_retries + 1} attempt(s); to wait longer raise "
            f"llm.timeout_seconds (now {self.timeout_seconds:g} s per attempt) or llm.max_retries (now {self.max_retries})"
        )

    def chat(self, messages: list[ChatMessage], max_tokens: int = 256, temperature: float = 0.7, seed: int = 0) -> str:
        import openai

        validate_messages(messages)
        started = time.monotonic()
        try:
            with self._notice_while_waiting(started):
                response = self._get_client().chat.completions.create(
                    model=self.model, messages=messages, max_tokens=max_tokens, temperature=temperature, seed=seed
                )
        except openai.APITimeoutError as error:
            raise LLMError(f"{self.name}: no answer within {self.timeout_seconds:g} s per attempt; {self._gave_up(started)}") from error
        except openai.APIStatusError as error:
            retried = error.status_code in (408, 409, 429) or error.status_code >= 500
            detail = f"; {self._gave_up(started)}" if retried else ""
            raise LLMError(f"{self.name}: HTTP {error.status_code}: {error.message}{detail}") from error
        except openai.APIConnectionError as error:
            raise LLMError(f"{self.name}: cannot connect to {self.where}: {error.__cause__ or error}; {self._gave_up(started)}") from error
        if not response.choices or response.choices[0].message.content is None:
            raise LLMError(f"{self.name}: the reply has no message content")
        return response.choices[0].message.content

    def check(self, timeout_seconds: float = 5.0) -> str:
        """Ask the endpoint for its models once (GET /models, no retries): what it answered, or LLMError saying why not."""
        import openai

        try:
            page = self._get_client().with_options(timeout=timeout_seconds, max_retries=0).models.list()
        except openai.APITimeoutError as error:
            raise LLMError(f"{self.where} did not answer GET /models within {timeout_seconds:g} s") from error
        except openai.APIStatusError as error:
            hint = {401: f"; check the key in ${self.api_key_env}", 403: f"; check the key in ${self.api_key_env}", 404: "; is base_url right (it usually ends in /v1)?"}
            raise LLMError(f"{self.where} answered GET /models with HTTP {error.status_code}: {error.message}{hint.get(error.status_code, '')}") from error
        except openai.APIConnectionError as error:
            raise LLMUnreachable(f"cannot reach {self.where}: {error.__cause__ or error}") from error
        served = [getattr(model, "id", None) for model in getattr(page, "data", None) or []]
        return "it lists the model" if self.model in served else f"it does not list {self.model} among its {len(served)} model(s)"
