"""The OpenAI-compatible client against a local chat-completions server started here (loopback only)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import BaseModel

from synthio.llm.base import LLMError
from synthio.llm.openai_compat import OpenAICompatibleLLM, redact_url
from synthio.llm.structured import StructuredOutputError, chat_json
from synthio.progress import say


class ScriptedServer:
    """Answers each request with the next scripted behaviour: ("reply", text), ("status", code, headers), ("sleep", s) or
    ("hold", event) (close without answering once ``event`` is set, at most 10 s later); a GET lists ``models``."""

    def __init__(self):
        self.script, self.requests, self.models = [], [], ["test-model"]
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append((time.monotonic(), self.path, None))
                self.respond(None)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((time.monotonic(), self.path, body))
                self.respond(body)

            def respond(self, body):
                action = outer.script.pop(0) if outer.script else ("reply", "default")
                if action[0] == "hold":
                    action[1].wait(10)
                    return
                if action[0] == "sleep":
                    time.sleep(action[1])
                    action = ("reply", "late")
                if action[0] == "status":
                    payload = json.dumps({"error": {"message": f"scripted {action[1]}", "type": "x"}}).encode()
                    self.send_response(action[1])
                    for k, v in (action[2] if len(action) > 2 else {}).items():
                        self.send_header(k, v)
                elif body is None:
                    payload = json.dumps({"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "x"} for m in outer.models]}).encode()
                    self.send_response(200)
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


def test_a_call_that_gives_up_says_how_long_it_waited_and_what_to_change(server):
    server.script = [("sleep", 1.0)]
    with pytest.raises(LLMError) as info:
        client(server, timeout_seconds=0.2, max_retries=0).chat(MESSAGES)
    message = str(info.value)
    assert message.startswith(f"openai:{server.base_url}:test-model: no answer within 0.2 s per attempt; waited ")
    assert message.endswith(" s in all over 1 attempt(s); to wait longer raise llm.timeout_seconds (now 0.2 s per attempt) or llm.max_retries (now 0)")


def test_a_slow_call_says_it_is_waiting(server, monkeypatch, capsys):
    said = threading.Event()

    def say_and_release(tag, message, style="yellow"):
        say(tag, message, style)
        said.set()

    monkeypatch.setattr("synthio.llm.openai_compat.say", say_and_release)
    server.script = [("hold", said)]  # the server answers nothing until the notice is out, then closes the connection
    with pytest.raises(LLMError, match="cannot connect to .* in all over 1 attempt"):
        client(server, timeout_seconds=10, max_retries=0, notice_seconds=0.01).chat(MESSAGES)
    assert said.is_set()
    assert f"llm: waiting for {server.base_url} (" in capsys.readouterr().err.replace("\n", "")


@pytest.mark.parametrize(
    "url, redacted",
    [
        ("http://localhost:8000/v1", "http://localhost:8000/v1"),
        ("http://user:secret@host:8000/v1", "http://user:***@host:8000/v1"),
        ("https://host/v1?api_key=secret&model=m", "https://host/v1?api_key=***&model=m"),
        ("https://host/v1?key=secret&token=secret&access_token=secret", "https://host/v1?key=***&token=***&access_token=***"),
        ("https://u:secret@host/v1?Auth=secret", "https://u:***@host/v1?Auth=***"),
    ],
)
def test_redact_url(url, redacted):
    assert redact_url(url) == redacted


def test_name_never_shows_url_credentials():
    llm = OpenAICompatibleLLM(model="m", base_url="http://u:secret@127.0.0.1:8000/v1?key=secret")
    assert llm.name == "openai:http://u:***@127.0.0.1:8000/v1?key=***:m"
    assert llm.base_url == "http://u:secret@127.0.0.1:8000/v1?key=secret"
    assert OpenAICompatibleLLM(model="m").name == "openai:default:m"


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
