"""The OpenAI-compatible client against a local chat-completions server started here (loopback only)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import BaseModel

from synthio.llm.base import LLMError
from synthio.llm.openai_compat import OpenAICompatibleLLM
from synthio.llm.structured import StructuredOutputError, chat_json


class ScriptedServer:
    """Answers each POST with the next scripted behaviour: ("reply", text), ("status", code, headers) or ("sleep", s)."""

    def __init__(self):
        self.script, self.requests = [], []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((time.monotonic(), self.path, body))
                action = outer.script.pop(0) if outer.script else ("reply", "default")
                if action[0] == "sleep":
                    time.sleep(action[1])
                    action = ("reply", "late")
                if action[0] == "status":
                    payload = json.dumps({"error": {"message": f"scripted {action[1]}", "type": "x"}}).encode()
                    self.send_response(action[1])
                    for k, v in (action[2] if len(action) > 2 else {}).items():
                        self.send_header(k, v)
                else:
                    payload = json.dumps({
                        "id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": action[1]}}],
                    }).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = ScriptedServer()
    yield s
    s.close()


def client(server, **kwargs):
    return OpenAICompatibleLLM(model="test-model", base_url=server.base_url, **kwargs)


MESSAGES = [{"role": "user", "content": "hi"}]


def test_plain_reply_and_request_shape(server):
    server.script = [("reply", "hello")]
    assert client(server).chat(MESSAGES, max_tokens=7, temperature=0.2, seed=3) == "hello"
    _, path, body = server.requests[0]
    assert path == "/v1/chat/completions"
    assert body["model"] == "test-model" and body["messages"] == MESSAGES
    assert body["max_tokens"] == 7 and body["seed"] == 3


def test_429_retry_after_is_honoured(server):
    server.script = [("status", 429, {"Retry-After": "1"}), ("reply", "ok")]
    assert client(server).chat(MESSAGES) == "ok"
    (t0, _, _), (t1, _, _) = server.requests
    assert t1 - t0 >= 0.9


def test_500_is_retried_then_reported(server):
    server.script = [("status", 500), ("reply", "ok")]
    assert client(server).chat(MESSAGES) == "ok"
    server.script = [("status", 500)] * 3
    with pytest.raises(LLMError, match="HTTP 500"):
        client(server, max_retries=2).chat(MESSAGES)


def test_timeout_is_reported(server):
    server.script = [("sleep", 1.0), ("sleep", 1.0)]
    started = time.monotonic()
    with pytest.raises(LLMError, match="no answer within"):
        client(server, timeout_seconds=0.3, max_retries=1).chat(MESSAGES)
    assert time.monotonic() - started < 5


def test_missing_key_and_bad_messages(server, monkeypatch):
    monkeypatch.delenv("SYNTHIO_TEST_KEY", raising=False)
    with pytest.raises(LLMError, match="SYNTHIO_TEST_KEY"):
        client(server, api_key_env="SYNTHIO_TEST_KEY", require_key=True).chat(MESSAGES)
    with pytest.raises(ValueError, match="role"):
        client(server).chat([{"role": "robot", "content": "x"}])


class Caption(BaseModel):
    caption: str


def test_non_json_reply_is_repaired_by_retry(server):
    server.script = [("reply", "Sure! Here is a caption: a dog barks"), ("reply", 'Here: ```json\n{"caption": "a dog barks"}\n```')]
    assert chat_json(client(server), MESSAGES, Caption).caption == "a dog barks"
    retry_messages = server.requests[1][2]["messages"]
    assert retry_messages[-1]["role"] == "user" and "not valid" in retry_messages[-1]["content"]


def test_structured_failure_names_prompt_and_last_reply(server):
    server.script = [("reply", "nope"), ("reply", "still nope"), ("reply", '{"wrong": 1}')]
    with pytest.raises(StructuredOutputError) as info:
        chat_json(client(server), MESSAGES, Caption, attempts=3)
    assert "'hi'" in str(info.value) and '{"wrong": 1}' in str(info.value) and "3 attempt" in str(info.value)
