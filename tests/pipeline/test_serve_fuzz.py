"""A property of pipeline.serve's HTTP layer under random requests (methods, paths, headers, keys, bodies of
random bytes or random JSON), sent as raw bytes to a real server on port 0 and read back with http.client:

- every request gets an HTTP reply, with a status among STATUSES;
- every reply but a HEAD's carries JSON, and every error reply {"error": {"message": ...}};
- a wrong or missing key gets 401 (or GET /health's {"status": "ok"}) and never the model's name;
- neither the server's thread nor a connection's thread dies.

The served model is a stand-in (the HTTP layer is under test, not the model). speed/fuzz_serve.py runs the
same property with a larger budget and counts what it tried and found.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.serve import Limits, serve

KEY = "sk-fuzz-5f0e9c2a7b"
NAME = "fuzz-stand-in-model-c41d"  # distinctive, so a leak is found by a substring search
STATUSES = {200, 400, 401, 404, 405, 411, 413}
HEALTH = {"status": "ok"}
# small caps, so that random requests cross each of them often
FUZZ_LIMITS = Limits(body_bytes=2048, prompts=4, max_tokens=64)


class StandInModel:
    """What make_handler calls on a ServedModel, answering without a model."""

    name = NAME
    revision = "sha256:fuzz"
    created = 1_700_000_000

    def serves(self, model):
        return model is None or model == NAME

    def complete(self, prompt, max_tokens, echo, top_k):
        return {"text": prompt[:3], "logprobs": None, "finish_reason": "stop"}, len(prompt), 1

    def chat(self, messages, max_tokens):
        return "ok", len(messages), 1, "stop"


@dataclass
class FuzzServer:
    port: int
    thread: threading.Thread
    crashes: list[str]  # tracebacks of connection threads that died (socketserver's handle_error)


@contextmanager
def fuzz_server() -> Iterator[FuzzServer]:
    server = serve(StandInModel(), port=0, api_key=KEY, limits=FUZZ_LIMITS)
    crashes: list[str] = []
    server.handle_error = lambda request, address: crashes.append(traceback.format_exc())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FuzzServer(server.server_address[1], thread, crashes)
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------- requests


@dataclass
class Exchange:
    method: str
    path: str
    authorization: str | None  # the Authorization header's value, None for none
    headers: list[tuple[str, str]]
    body: bytes
    content_length: str | None  # "exact": the body's length; None: no header; else sent as it is

    def request_line(self) -> bytes:
        return f"{self.method} {self.path} HTTP/1.1".encode()

    def to_bytes(self) -> bytes:
        lines = [self.request_line(), b"Host: 127.0.0.1"]
        if self.authorization is not None:
            lines.append(b"Authorization: " + self.authorization.encode("latin-1"))
        if self.content_length is not None:
            length = str(len(self.body)) if self.content_length == "exact" else self.content_length
            lines.append(b"Content-Length: " + length.encode())
        lines += [f"{name}: {value}".encode("latin-1") for name, value in self.headers]
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body

    @property
    def authorized(self) -> bool:
        return self.authorization == f"Bearer {KEY}"

    @property
    def request_line_parses(self) -> bool:
        """Method, target, version: else the parser refuses it (400) before any header, the key included, is read."""
        return len(self.request_line().decode("latin-1").split()) == 3


# each strategy repeats its likeliest-valid branch, so that enough requests get past the key, the method, the
# route and the length to reach the field checks and the model (one_of picks its branches evenly)
POST_ROUTES = ["/v1/completions", "/completions", "/v1/chat/completions", "/chat/completions"]
ROUTES = [
    "/v1/completions",
    "/completions",
    "/v1/chat/completions",
    "/chat/completions",
    "/v1/models",
    "/models",
    "/health",
    "/",
    "/v1/completions/",
    "/health/",
    "//v1/models",
    "/v1/models?limit=1",
    "*",
    "/v1/../health",
]
LATIN1_TEXT = st.characters(min_codepoint=32, max_codepoint=255, blacklist_categories=("Cc",))

methods = st.one_of(
    st.just("POST"),
    st.just("POST"),
    st.just("GET"),
    st.sampled_from(["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"]),
    st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"), min_size=1, max_size=10),
)
paths = st.one_of(
    st.sampled_from(POST_ROUTES),
    st.sampled_from(POST_ROUTES),
    st.sampled_from(ROUTES),
    st.text(st.characters(min_codepoint=33, blacklist_categories=("Cs", "Cc", "Z")), max_size=40).map(
        lambda text: "/" + text
    ),
)
authorizations = st.one_of(
    st.just(f"Bearer {KEY}"),
    st.just(f"Bearer {KEY}"),
    st.just(f"Bearer {KEY}"),
    st.none(),
    st.sampled_from(
        [
            f"Bearer {KEY}x",
            f"Bearer {KEY[:-1]}",
            f"bearer {KEY}",
            KEY,
            f"Basic {KEY}",
            "Bearer ",
            "",
            f"Bearer  {KEY}",
            f" Bearer {KEY}x",
        ]
    ),
    st.text(LATIN1_TEXT, max_size=40).map(lambda text: "Bearer " + text),
)
header_names = st.one_of(
    st.sampled_from(
        [
            "Content-Type",
            "Accept",
            "Connection",
            "Expect",
            "Transfer-Encoding",
            "Content-Length",
            "X-Request-Id",
            "Content-Encoding",
        ]
    ),
    st.text(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=20
    ),
).filter(lambda name: name.lower() != "authorization")
header_values = st.one_of(
    st.sampled_from(["application/json", "close", "keep-alive", "100-continue", "chunked", "0", "-1", "gzip"]),
    st.text(LATIN1_TEXT, max_size=40),
)
content_lengths = st.one_of(
    st.just("exact"),
    st.just("exact"),
    st.just("exact"),
    st.none(),
    st.integers(0, 5000).map(str),
    st.sampled_from(["abc", "-1", "+3", "", "1_0", "0x10", "00", "1e3", "9" * 30, "9" * 5000]),
)

any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# shaped like the requests the routes read, each field right, wrong or absent, so most get past the first check
completion_like = st.fixed_dictionaries(
    {},
    optional={
        "model": st.one_of(st.just(NAME), st.just("gpt-7"), any_json),
        "prompt": st.one_of(st.text(max_size=30), st.lists(st.text(max_size=10), max_size=6), any_json),
        "max_tokens": st.one_of(st.integers(-3, 100), st.integers(), any_json),
        "echo": st.one_of(st.booleans(), any_json),
        "logprobs": st.one_of(st.integers(-2, 9), any_json),
        "messages": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"role": st.sampled_from(["user", "system", "assistant"]), "content": st.text(max_size=20)}
                ),
                max_size=4,
            ),
            any_json,
        ),
        "temperature": any_json,
    },
)
bodies = st.one_of(
    completion_like.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=600),
    any_json.map(lambda value: json.dumps(value).encode()),
    completion_like.map(lambda value: json.dumps(value).encode()),
    st.sampled_from(
        [
            b"",
            b"[" * 3000,
            b'{"prompt": "\\ud800"}',
            b'{"prompt": ["a"], "max_tokens": 1e400}',
            b'{"prompt": "a", "max_tokens": ' + b"9" * 1000 + b"}",
            b"\xef\xbb\xbf{}",
        ]
    ),
)


@st.composite
def exchanges(draw) -> Exchange:
    return Exchange(
        method=draw(methods),
        path=draw(paths),
        authorization=draw(authorizations),
        headers=draw(st.lists(st.tuples(header_names, header_values), max_size=4)),
        body=draw(bodies),
        content_length=draw(content_lengths),
    )


# ---------------------------------------------------------------------- the property


def send(port: int, exchange: Exchange) -> tuple[int, str, bytes]:
    """(status, all headers as text, body) of the reply; the client ends its side once the request is sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(exchange.to_bytes())
        sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock, method=exchange.method)
        response.begin()
        return response.status, str(response.headers), response.read()


@dataclass
class Verdict:
    status: int | None  # None: no reply
    violations: list[str]  # what the reply breaks of the property; empty: nothing


def check(server: FuzzServer, exchange: Exchange) -> Verdict:
    crashes_before = len(server.crashes)
    try:
        status, headers, body = send(server.port, exchange)
    except (OSError, http.client.HTTPException) as exc:
        return Verdict(None, [f"no HTTP reply: {exc!r}"])
    found = []
    if status not in STATUSES:
        found.append(f"status {status}")
    reply = None
    if exchange.method != "HEAD":
        try:
            reply = json.loads(body)
        except ValueError:
            found.append(f"status {status} with a body that is not JSON: {body[:80]!r}")
        if "Content-Type: application/json" not in headers:
            found.append(f"status {status} without Content-Type: application/json")
        if status != 200 and not (isinstance(reply, dict) and isinstance(reply.get("error", {}).get("message"), str)):
            found.append(f"status {status} without an error message: {body[:80]!r}")
    health = status == 200 and exchange.method != "HEAD" and reply == HEALTH
    if not exchange.authorized and exchange.request_line_parses and status != 401 and not health:
        found.append(f"a wrong key got {status}: {body[:80]!r}")
    if not exchange.authorized and NAME.encode() in headers.encode() + body:
        found.append(f"a wrong key got the model's name: {body[:120]!r}")
    if not server.thread.is_alive():
        found.append("the server's thread died")
    found += [f"a connection thread died:\n{crash}" for crash in server.crashes[crashes_before:]]
    return Verdict(status, found)


@pytest.fixture(scope="module")
def server():
    with fuzz_server() as running:
        yield running


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(exchange=exchanges())
def test_any_request_gets_a_json_reply_a_documented_status_and_a_wrong_key_only_401(server, exchange):
    assert check(server, exchange).violations == []


def test_the_property_sees_a_leak_a_wrong_status_and_a_dropped_reply():
    # the checker itself must be able to fail: against a server that answers everything with the model's
    # name and a 200, or drops the connection, it reports exactly that
    wrong_key = Exchange("POST", "/v1/completions", "Bearer nope", [], b"{}", "exact")
    leak = json.dumps({"model": NAME}).encode()
    canned = [
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(leak), leak),
            ["a wrong key got 200", "a wrong key got the model's name"],
        ),
        (
            b"HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nno",
            ["status 500", "not JSON", "without Content-Type", "without an error message", "a wrong key got 500"],
        ),
        (b"", ["no HTTP reply"]),
    ]
    for reply, expected in canned:
        with canned_server(reply) as fake:
            found = check(fake, wrong_key).violations
        assert len(found) == len(expected) and all(part in line for part, line in zip(expected, found)), found


@contextmanager
def canned_server(reply: bytes) -> Iterator[FuzzServer]:
    """A one-connection server that reads the request and sends `reply` whatever it was."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer():
        connection, _ = listener.accept()
        with connection:
            while connection.recv(65536):
                pass
            connection.sendall(reply)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:  # its answering thread ends once it has answered: the liveness checked is this test's own thread
        yield FuzzServer(listener.getsockname()[1], threading.current_thread(), [])
    finally:
        thread.join(10)
        listener.close()
