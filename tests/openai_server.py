"""A small OpenAI-compatible chat completions server for tests, on 127.0.0.1.

Each test scripts the replies: `ChatServer(Step("Hello [1]."), Step(status=500))` answers
the first request with the text and every later one with HTTP 500 (the last step repeats).
Requests with `"stream": true` get server-sent events, one chunk per word, as the OpenAI
API sends them; others get one JSON completion. Every request is recorded.

    with ChatServer(Step("In Budapest [1].")) as server:
        ChatOpenAI(base_url=server.base_url, api_key="x", model="m").invoke("Where?")
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Step:
    text: str = ""  # the assistant's reply
    status: int = 200
    delay_s: float = 0.0  # wait before answering
    chunk_delay_s: float = 0.0  # wait between streamed chunks
    body: str | None = None  # sent verbatim instead of a well-formed reply (malformed JSON, broken SSE)
    headers: dict = field(default_factory=dict)


def completion(text: str, model: str) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split()), "total_tokens": 10},
    }


def chunk(model: str, content: str | None, finish: str | None = None) -> dict:
    delta = {"role": "assistant", "content": content} if content is not None else {}
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            return self._json(200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})
        self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            return self._json(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
        step = self.server.owner._record(self.path, {k.lower(): v for k, v in self.headers.items()}, request)
        time.sleep(step.delay_s)
        model = request.get("model", "test-model")
        try:
            if step.status != 200:
                return self._json(
                    step.status,
                    {"error": {"message": f"scripted HTTP {step.status}", "type": "server_error", "code": None}},
                    step.headers,
                )
            if step.body is not None:
                kind = "text/event-stream" if request.get("stream") else "application/json"
                return self._send(200, step.body.encode(), kind, step.headers)
            if not request.get("stream"):
                return self._json(200, completion(step.text, model), step.headers)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            for name, value in step.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for piece in re.findall(r"\S+\s*", step.text):
                self._event(chunk(model, piece))
                time.sleep(step.chunk_delay_s)
            self._event(chunk(model, None, "stop"))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeouts)
            pass

    def _event(self, data: dict):
        self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()

    def _json(self, status: int, data: dict, headers: dict | None = None):
        self._send(status, json.dumps(data).encode(), "application/json", headers or {})

    def _send(self, status: int, body: bytes, kind: str, headers: dict):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: ChatServer


class ChatServer:
    """Scripted chat completions on 127.0.0.1 at a free port; a context manager."""

    def __init__(self, *steps: Step):
        self.steps = list(steps) or [Step("OK")]
        self.requests: list[dict] = []  # {"path", "headers" (lower-case names), "json"} per request
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True, name="chat-server")

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as base_url."""
        return self.url + "/v1"

    def script(self, *steps: Step) -> None:
        with self._lock:
            self.steps, self.requests = list(steps), []

    def _record(self, path: str, headers: dict, request: dict) -> Step:
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "json": request})
            return self.steps[min(len(self.requests), len(self.steps)) - 1]

    def start(self) -> ChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
