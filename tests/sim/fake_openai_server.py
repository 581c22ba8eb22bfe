"""A scripted OpenAI-compatible server on 127.0.0.1 for backend tests and the endpoint benchmark.

Real HTTP on a free port (stdlib `ThreadingHTTPServer`, one thread per request), so the real `openai` client
with its retries, timeouts and connection pool is what gets tested. The request's `model` picks the behaviour:

| model | reply |
| --- | --- |
| `text` | the assistant text `Hello from the fake model.` |
| `tool` | one tool call to the first offered tool, arguments `{"order_id": "#W0000001"}` |
| `malformed` | one tool call whose arguments are cut-off JSON `{"order_id": "#W00` |
| `no-id` | a tool call with an empty id |
| `flaky:N` | HTTP 429 (`retry-after-ms: 10`) for the first N requests to this model, then `text` |
| `down` | HTTP 500 every time |
| `slow:S` | sleeps S seconds, then `text` |
| `user-stop` | `Thanks, that is all. ###STOP###` |
| `echo` | the last message's content, upper-cased |

`add(prefix, responder)` adds a behaviour: `responder(body) -> dict` returns an assistant message (`content`,
`tool_calls`). A server-wide `latency_s` delays every reply (an endpoint's time to generate).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict], dict]


class FakeOpenAI:
    """The server; use as a context manager, or `start()`/`stop()`. `url` is the client's `base_url`."""

    def __init__(self, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s
        self.requests: list[dict] = []
        self.in_flight: Counter[str] = Counter()  # per model: a test's leftovers do not count in the next
        self.max_in_flight: Counter[str] = Counter()
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._responders: dict[str, Responder] = {
            "text": lambda body: {"content": "Hello from the fake model."},
            "tool": _first_tool_call,
            "malformed": lambda body: {"content": None, "tool_calls": [_call("call_m", "cancel_pending_order",
                                                                             '{"order_id": "#W00')]},
            "no-id": lambda body: {"content": None, "tool_calls": [_call("", "get_order", '{"order_id": "#W1"}')]},
            "user-stop": lambda body: {"content": "Thanks, that is all. ###STOP###"},
            "echo": lambda body: {"content": str(body["messages"][-1].get("content") or "").upper()},
        }
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def add(self, prefix: str, responder: Responder) -> None:
        self._responders[prefix] = responder

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, body: dict) -> tuple[int, dict, dict]:
        """Status, extra headers and JSON body for one chat completions request."""
        model = str(body.get("model", ""))
        kind, _, arg = model.partition(":")
        with self._lock:
            self.requests.append(body)
            self._seen[model] += 1
            seen = self._seen[model]
        if kind == "flaky" and seen <= int(arg or 1):
            return 429, {"retry-after-ms": "10"}, _error("rate limited", "rate_limit_exceeded")
        if kind == "flaky":
            kind = "text"
        if kind == "down":
            return 500, {}, _error("the model fell over", "server_error")
        if kind == "slow":
            time.sleep(float(arg))
            kind = "text"
        responder = self._responders.get(kind) or self._responders.get(model)
        if responder is None:
            return 404, {}, _error(f"no model `{model}`", "model_not_found")
        time.sleep(self.latency_s)
        return 200, {}, _completion(model, body, responder(body))


def _handler(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; with Nagle on, the body waits ~40 ms for a delayed ACK.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            if not self.path.rstrip("/").endswith("/chat/completions"):
                return self._send(404, {}, _error(f"no route {self.path}", "not_found"))
            model = str(body.get("model", ""))
            with server._lock:
                server.in_flight[model] += 1
                server.max_in_flight[model] = max(server.max_in_flight[model], server.in_flight[model])
            try:
                self._send(*server.answer(body))
            finally:
                with server._lock:
                    server.in_flight[model] -= 1

        def _send(self, status: int, headers: dict, payload: dict) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                for key, value in {"content-type": "application/json", "content-length": str(len(data)),
                                   **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing to tell it

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            pass

    return Handler


def _call(call_id: str, name: str, arguments: str) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _first_tool_call(body: dict) -> dict:
    name = body["tools"][0]["function"]["name"] if body.get("tools") else "get_order"
    return {"content": None, "tool_calls": [_call("call_t", name, '{"order_id": "#W0000001"}')]}


def _completion(model: str, body: dict, message: dict) -> dict:
    prompt_tokens = len(json.dumps(body.get("messages", []))) // 4
    completion_tokens = max(1, len(json.dumps(message)) // 4)
    reason = "tool_calls" if message.get("tool_calls") else "stop"
    return {
        "id": f"chatcmpl-{len(body.get('messages', []))}", "object": "chat.completion", "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": reason, "message": {"role": "assistant", **message}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def _error(message: str, code: str) -> dict:
    return {"error": {"message": message, "type": code, "code": code}}
