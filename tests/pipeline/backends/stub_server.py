"""A loopback HTTP server that answers from a script of canned replies, for HttpClient tests without a model.

Replies are used in order, then the last one is repeated. Every request is logged (method, path,
headers), so a test can count exactly what the client sent and with which credentials.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Canned:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering


def error_reply(status: int, message: str, **headers: str) -> Canned:
    return Canned(status, json.dumps({"error": {"message": message}}).encode(), headers)


class StubServer:
    def __init__(self, *replies: Canned):
        self.replies = list(replies)
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next(self, method: str, path: str, headers: dict[str, str]) -> Canned:
        with self._lock:
            self.log.append((method, path, headers))
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._answer()

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._answer()

            def _answer(self):
                reply = stub._next(self.command, self.path, dict(self.headers))
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        return Handler
