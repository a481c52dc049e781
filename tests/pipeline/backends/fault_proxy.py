"""A loopback HTTP proxy in front of a real OpenAI-compatible server that injects faults on cue.

A Fault applies to POST requests whose JSON body contains `match` (a snippet of one question's
text, say), for its first `times` hits (None: forever); the rest are forwarded untouched. A "reply"
fault is not a fault: it answers a chat completion with a canned text, so a test knows the reply. Every
request is logged (path, body) so tests can count exactly what the client sent.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def prompt_text(body: dict) -> str:
    """What a request asks about: the completion prompt, or the chat messages' text."""
    if isinstance(body.get("prompt"), str):
        return body["prompt"]
    return "\n".join(str(m.get("content", "")) for m in body.get("messages") or [])


CANNED_USAGE = {"prompt_tokens": 50, "completion_tokens": 3}


def canned_chat(text: str) -> dict:
    """A chat completion saying `text`, with fixed token counts so a test can price it by hand."""
    return {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": CANNED_USAGE,
    }


@dataclass
class Fault:
    match: str | tuple[str, ...]  # substring(s) that must all be in the request's prompt text
    kind: str  # an HTTP status ("400", "401", "429", "500", ...) | "timeout" | "malformed" | "reply"
    times: int | None = 1
    reply: str = ""  # what a "reply" fault answers a chat completion with, as the model's text
    retry_after: str | None = None  # the Retry-After header a 429 carries
    echo_key: bool = False  # quote the request's bearer key in the error, as some servers do
    hits: int = 0


@dataclass
class FaultProxy:
    upstream: str  # e.g. http://127.0.0.1:8123
    timeout_sleep: float = 3.0  # a "timeout" fault answers this late, after the client gave up
    delay: float = 0.0  # added to every forwarded request (to catch a run mid-way)
    faults: list[Fault] = field(default_factory=list)
    log: list[tuple[str, dict]] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0  # most forwarded requests open at once since the last reset
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self, *faults: Fault, delay: float = 0.0) -> None:
        with self._lock:
            self.faults = list(faults)
            self.log.clear()
            self.delay = delay
            self.max_in_flight = 0

    def requests_matching(self, snippet: str, path: str = "/v1/completions") -> int:
        with self._lock:
            return sum(1 for p, body in self.log if p == path and snippet in prompt_text(body))

    def _pick(self, path: str, body: dict) -> Fault | None:
        text = prompt_text(body)
        with self._lock:
            self.log.append((path, body))
            for fault in self.faults:
                wanted = (fault.match,) if isinstance(fault.match, str) else fault.match
                if all(w in text for w in wanted) and (fault.times is None or fault.hits < fault.times):
                    fault.hits += 1
                    return fault
        return None

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._forward(None)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fault = proxy._pick(self.path, json.loads(raw))
                if fault is None:
                    return self._forward(raw)
                if fault.kind == "malformed":
                    return self._send(200, b'{"choices": [{"text": "trunc')
                if fault.kind == "reply":
                    return self._send(200, json.dumps(canned_chat(fault.reply)).encode())
                if fault.kind == "timeout":  # answer after the client gave up (the write then fails)
                    time.sleep(proxy.timeout_sleep)
                    return self._send(504, b'{"error": {"message": "too late"}}')
                message = f"injected HTTP {fault.kind}"
                if fault.echo_key:
                    message += (
                        f"; Incorrect API key provided: {self.headers.get('Authorization', '').removeprefix('Bearer ')}"
                    )
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                return self._send(int(fault.kind), json.dumps({"error": {"message": message}}).encode(), headers)

            def _forward(self, raw: bytes | None):
                with proxy._lock:
                    proxy.in_flight += 1
                    proxy.max_in_flight = max(proxy.max_in_flight, proxy.in_flight)
                try:
                    status, body = self._relay(raw)
                finally:  # before answering: the client's next request may arrive the moment it has this answer
                    with proxy._lock:
                        proxy.in_flight -= 1
                self._send(status, body)

            def _relay(self, raw: bytes | None) -> tuple[int, bytes]:
                if proxy.delay:
                    time.sleep(proxy.delay)
                request = urllib.request.Request(proxy.upstream + self.path, data=raw, method=self.command)
                for name in ("Authorization", "Content-Type"):
                    if self.headers.get(name):
                        request.add_header(name, self.headers[name])
                try:
                    with urllib.request.urlopen(request, timeout=120) as reply:
                        status, body = reply.status, reply.read()
                except urllib.error.HTTPError as exc:
                    status, body = exc.code, exc.read()
                return status, body

            def _send(self, status: int, body: bytes, headers: dict | None = None):
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left: that was the point

        return Handler
