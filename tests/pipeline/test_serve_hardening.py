"""pipeline.serve does not trust its input: the key first, caps on the body and on what a request asks for,
and a JSON error for whatever is malformed. The HTTP layer is tested with a stand-in for the served model
(the methods make_handler calls) on a real server on port 0, through http.client and raw sockets."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from contextlib import contextmanager

import pytest

from pipeline import serve as serve_module
from pipeline.serve import (
    MAX_PROMPTS,
    MAX_TOKENS,
    BadRequest,
    Limits,
    ServedModel,
    serve,
)

KEY = "sk-hardening-0123456789abcdef"
NAME = "stand-in-model-4b1e"  # distinctive, so a reply that leaks it is found by a substring search
SMALL = Limits(body_bytes=1000, prompts=3, max_tokens=50)
DEFAULT = Limits()


class StandInModel:
    """What make_handler calls on a ServedModel, answering without a model and recording each call."""

    name = NAME
    revision = "sha256:stand-in"
    created = 1_700_000_000

    def __init__(self):
        self.calls: list[tuple] = []
        self.fail_with: Exception | None = None

    def serves(self, model):
        return model is None or model == NAME

    def complete(self, prompt, max_tokens, echo, top_k):
        self.calls.append(("complete", prompt, max_tokens, echo, top_k))
        if self.fail_with:
            raise self.fail_with
        return {"text": "!", "logprobs": None, "finish_reason": "stop"}, len(prompt), 1

    def chat(self, messages, max_tokens):
        self.calls.append(("chat", messages, max_tokens))
        return "hello", 3, 1, "stop"


@pytest.fixture
def model():
    return StandInModel()


@contextmanager
def running_server(model, limits: Limits = DEFAULT):
    """The port of a real server for `model` in a thread; on exit, the thread must have lived to be stopped."""
    server = serve(model, port=0, api_key=KEY, limits=limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
    assert not thread.is_alive()


@pytest.fixture
def port(model):
    with running_server(model, SMALL) as port:
        yield port


def auth(key: str = KEY) -> dict:
    return {"Authorization": f"Bearer {key}"}


def post(port: int, path: str, body, headers: dict | None = None) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) of one POST; a dict or list body is sent as JSON, bytes as they are."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, data, {"Content-Type": "application/json", **(headers or {})})
        return read(conn.getresponse())
    finally:
        conn.close()


def read(response: http.client.HTTPResponse) -> tuple[int, dict, dict]:
    data = response.read()
    assert response.getheader("Content-Type") == "application/json"
    return response.status, dict(response.getheaders()), json.loads(data)


def headers_only(port: int, method: str, path: str, headers: dict) -> tuple[int, dict, dict]:
    """Send a request's headers and no body (whatever Content-Length says), then read the reply."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        return read(conn.getresponse())
    finally:
        conn.close()


def raw_exchange(port: int, data: bytes) -> bytes:
    """Everything the server sends back for these bytes, once the client has said it is done sending."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def message(body: dict) -> str:
    return body["error"]["message"]


# ---------------------------------------------------------------------- the key comes first


def test_the_right_key_is_served(port, model):
    status, _, body = post(port, "/v1/completions", {"model": NAME, "prompt": "abc"}, auth())
    assert status == 200 and body["model"] == NAME
    assert model.calls == [("complete", "abc", 16, False, None)]


def test_a_wrong_key_is_refused_before_the_body_is_read(port, model):
    # 150 MB announced and none sent: a server that reads the body first never answers this
    status, headers, body = headers_only(
        port, "POST", "/v1/completions", {"Content-Length": str(150 * 2**20), **auth("sk-wrong")}
    )
    assert status == 401 and body["error"]["code"] == "invalid_api_key"
    assert headers["Connection"] == "close"
    assert model.calls == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        auth("sk-wrong"),
        {"Authorization": KEY},
        {"Authorization": f"bearer {KEY}"},
        {"Authorization": f"Bearer {KEY} "},
        {"Authorization": f"Bearer {KEY[:-1]}"},
    ],
)
def test_a_wrong_key_never_learns_the_model_name_nor_the_routes(port, model, headers):
    for path, body in [("/v1/completions", {"model": "gpt-7", "prompt": "x"}), ("/no/such/route", {})]:
        status, _, reply = post(port, path, body, headers)
        assert status == 401, path
        assert NAME not in json.dumps(reply)
    status, _, reply = headers_only(port, "GET", "/v1/models", headers)
    assert status == 401 and NAME not in json.dumps(reply)
    assert model.calls == []


def test_the_key_is_compared_in_constant_time_as_bytes(port, monkeypatch):
    compared = []

    def spy(presented, expected):
        compared.append((presented, expected))
        return True  # so the reply shows the decision is compare_digest's

    monkeypatch.setattr(serve_module.hmac, "compare_digest", spy)
    status, _, _ = post(port, "/v1/completions", {"prompt": "x"}, auth("sk-wrong"))
    assert status == 200
    assert compared == [(b"Bearer sk-wrong", b"Bearer " + KEY.encode())]


def test_health_needs_no_key_and_names_nothing(port):
    status, _, body = headers_only(port, "GET", "/health", {})
    assert (status, body) == (200, {"status": "ok"})


def test_expect_100_continue_is_not_granted_to_a_wrong_key(port):
    reply = raw_exchange(
        port,
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
        b"Expect: 100-continue\r\nAuthorization: Bearer sk-wrong\r\n\r\n",
    )
    assert reply.startswith(b"HTTP/1.1 401 ")


def test_expect_100_continue_is_granted_once_key_and_length_pass(port, model):
    request = b'{"prompt": "abc"}'
    reply = raw_exchange(
        port,
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
        b"Expect: 100-continue\r\nAuthorization: Bearer %s\r\n\r\n%s" % (len(request), KEY.encode(), request),
    )
    assert reply.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ")
    assert model.calls == [("complete", "abc", 16, False, None)]


# ---------------------------------------------------------------------- the body's size, from its header


def test_a_body_over_the_limit_gets_413_before_it_is_read(port, model):
    status, _, body = headers_only(port, "POST", "/v1/completions", {"Content-Length": "1001", **auth()})
    assert status == 413 and "1000-byte limit" in message(body) and "--max-body-bytes" in message(body)
    assert model.calls == []


def test_a_body_at_the_limit_is_read(port, model):
    request = b'{"prompt": "abc"}'
    status, _, _ = post(port, "/v1/completions", request + b" " * (1000 - len(request)), auth())
    assert status == 200 and len(model.calls) == 1


def test_a_refused_body_already_sent_does_not_reset_the_connection_before_the_reply(model):
    # 4 MB (within the default limit) is more than the socket buffers hold, so the client is still sending
    # when the 401 goes out; closing then, with input unread, resets the connection and the client's send
    # fails before it reads the reply (BrokenPipeError here without the drain)
    with running_server(model) as port:
        for _ in range(3):
            assert post(port, "/v1/completions", b" " * 4_000_000, auth("sk-wrong"))[0] == 401


@pytest.mark.parametrize("headers", [{}, {"Transfer-Encoding": "chunked"}])
def test_a_post_without_content_length_gets_411(port, model, headers):
    status, _, body = headers_only(port, "POST", "/v1/completions", {**headers, **auth()})
    assert status == 411 and "Content-Length" in message(body)
    assert model.calls == []


@pytest.mark.parametrize("value", ["abc", "-1", "+2", "1_0", "0x2", "2.0", "", "2 2"])
def test_a_content_length_that_is_not_a_non_negative_integer_gets_400(port, model, value):
    reply = raw_exchange(
        port,
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n"
        b"Authorization: Bearer %s\r\n\r\n{}" % (value.encode(), KEY.encode()),
    )
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 400 Bad Request"
    assert b"Content-Length must be a non-negative integer" in rest
    assert model.calls == []


def test_a_content_length_too_long_for_int_gets_413_not_a_dropped_connection(port):
    status, _, _ = headers_only(port, "POST", "/v1/completions", {"Content-Length": "9" * 5000, **auth()})
    assert status == 413


def test_leading_zeros_are_still_the_same_length(port, model):
    request = b'{"prompt": "abc"}'
    reply = raw_exchange(
        port,
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 000%d\r\n"
        b"Authorization: Bearer %s\r\n\r\n%s" % (len(request), KEY.encode(), request),
    )
    assert reply.startswith(b"HTTP/1.1 200 ") and len(model.calls) == 1


def test_conflicting_content_lengths_get_400(port):
    reply = raw_exchange(
        port,
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        b"Content-Length: 3\r\nAuthorization: Bearer %s\r\n\r\n{} " % KEY.encode(),
    )
    assert reply.startswith(b"HTTP/1.1 400 ") and b"conflicting Content-Length" in reply


def test_a_body_shorter_than_its_content_length_gets_400(port):
    reply = raw_exchange(
        port,
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
        b"Authorization: Bearer %s\r\n\r\n{}" % KEY.encode(),
    )
    assert reply.startswith(b"HTTP/1.1 400 ") and b"body ended after 2 of its 10 bytes" in reply


def test_a_client_that_stops_sending_mid_body_frees_its_thread(monkeypatch, model):
    monkeypatch.setattr(serve_module, "REQUEST_TIMEOUT_S", 0.5)
    with running_server(model) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(
                b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
                b"Authorization: Bearer %s\r\n\r\n{}" % KEY.encode()
            )
            assert sock.recv(65536) == b""  # closed by the server, with nothing to reply to a stalled client
        assert headers_only(port, "GET", "/v1/models", auth())[0] == 200


# ---------------------------------------------------------------------- caps on what a request asks for


def test_more_prompts_than_the_cap_get_400_naming_it(port, model):
    status, _, body = post(port, "/v1/completions", {"prompt": ["a", "b", "c", "d"]}, auth())
    assert status == 400 and "4 prompts" in message(body) and "at most 3" in message(body)
    assert model.calls == []
    status, _, body = post(port, "/v1/completions", {"prompt": ["a", "b", "c"]}, auth())
    assert status == 200 and [choice["index"] for choice in body["choices"]] == [0, 1, 2]


@pytest.mark.parametrize(
    "path, request_body",
    [
        ("/v1/completions", {"prompt": "x"}),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]}),
    ],
)
def test_max_tokens_over_the_cap_gets_400_naming_it(port, model, path, request_body):
    status, _, body = post(port, path, {**request_body, "max_tokens": 10**9}, auth())
    assert status == 400 and "max_tokens must be at most 50" in message(body)
    assert model.calls == []
    status, _, _ = post(port, path, {**request_body, "max_tokens": 50}, auth())
    assert status == 200 and model.calls[0][-1 if path.endswith("chat/completions") else 2] == 50


def test_the_default_caps_are_the_documented_constants(model):
    assert Limits() == Limits(body_bytes=4 * 1024 * 1024, prompts=MAX_PROMPTS, max_tokens=MAX_TOKENS)
    assert (MAX_PROMPTS, MAX_TOKENS) == (64, 2048)


class CharTokenizer:
    """One token per character, so a prompt's token count is its length; chat joins the contents."""

    chat_template = "{{ joined }}"

    def __call__(self, text, add_special_tokens, return_offsets_mapping):
        return {"input_ids": [ord(c) for c in text], "offset_mapping": [(i, i + 1) for i in range(len(text))]}

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        return "".join(message["content"] for message in messages)


@pytest.mark.parametrize(
    "call",
    [
        lambda served: served.complete("abcdef", 1, True, 1),
        lambda served: served.chat([{"role": "user", "content": "abc"}, {"role": "user", "content": "def"}], 1),
    ],
)
def test_a_prompt_over_the_token_cap_is_refused_before_the_model_runs(call):
    served = ServedModel(name=NAME, revision="r", model=None, tokenizer=CharTokenizer(), max_prompt_tokens=5)
    expected = r"the prompt is 6 tokens; this server takes at most 5 \(--max-prompt-tokens\)"
    with pytest.raises(BadRequest, match=expected):
        call(served)  # model=None: getting past the check would fail with an AttributeError instead


def test_the_cli_flags_set_the_caps(monkeypatch):
    seen = {}

    def fake_load(model, revision, gguf_file, max_prompt_tokens):
        seen["max_prompt_tokens"] = max_prompt_tokens
        raise SystemExit(0)

    monkeypatch.setattr(serve_module, "load_served_model", fake_load)
    with pytest.raises(SystemExit):
        serve_module.main(["--model", "m", "--max-prompt-tokens", "7"])
    assert seen == {"max_prompt_tokens": 7}
    with pytest.raises(SystemExit) as refused:
        serve_module.main(["--model", "m", "--max-tokens", "0"])
    assert refused.value.code == 2  # argparse's usage error


# ---------------------------------------------------------------------- malformed bodies and fields


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"[1, 2]", "body must be a JSON object, not a list"),
        (b'"prompt"', "body must be a JSON object, not a string"),
        (b"{not json", "body is not JSON"),
        (b"\xff\xfe\x00{", "body is not JSON"),  # not UTF-8: json.loads raises UnicodeDecodeError
    ],
)
def test_a_body_that_is_not_a_json_object_gets_400(port, model, data, expected):
    status, _, body = post(port, "/v1/completions", data, auth())
    assert status == 400 and expected in message(body)
    assert model.calls == []


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"[" * 100_000, "nested too deeply"),  # deeper than Python recurses: RecursionError
        (b'{"prompt": "x", "max_tokens": ' + b"9" * 5000 + b"}", "body is not JSON"),  # int() refuses 4300+ digits
    ],
)
def test_bodies_too_big_for_the_small_limit_that_are_still_not_json_get_400(model, data, expected):
    with running_server(model) as port:  # the default body limit
        status, _, body = post(port, "/v1/completions", data, auth())
    assert status == 400 and expected in message(body)


@pytest.mark.parametrize(
    "path, request_body, field",
    [
        ("/v1/completions", {"prompt": 5}, "prompt"),
        ("/v1/completions", {"prompt": []}, "prompt"),
        ("/v1/completions", {"prompt": ["a", 3]}, "prompt[1]"),
        ("/v1/completions", {"prompt": "\ud800"}, "prompt[0]"),
        ("/v1/completions", {"prompt": "x", "max_tokens": "16"}, "max_tokens"),
        ("/v1/completions", {"prompt": "x", "max_tokens": True}, "max_tokens"),
        ("/v1/completions", {"prompt": "x", "max_tokens": 1.5}, "max_tokens"),
        ("/v1/completions", {"prompt": "x", "max_tokens": -1}, "max_tokens"),
        ("/v1/completions", {"prompt": "x", "echo": "yes"}, "echo"),
        ("/v1/completions", {"prompt": "x", "logprobs": "5"}, "logprobs"),
        ("/v1/completions", {"prompt": "x", "logprobs": False}, "logprobs"),
        ("/v1/completions", {"prompt": "x", "model": ["a"]}, "model"),
        ("/v1/chat/completions", {"messages": "hi"}, "messages"),
        ("/v1/chat/completions", {"messages": ["hi"]}, "messages[0]"),
        ("/v1/chat/completions", {"messages": [{"content": "x"}]}, "messages[0].role"),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": ["x"]}]}, "messages[0].content"),
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "x"}], "max_tokens": None, "model": 3},
            "model",
        ),
    ],
)
def test_a_field_of_the_wrong_type_gets_400_naming_it(port, model, path, request_body, field):
    status, _, body = post(port, path, request_body, auth())
    assert status == 400 and message(body).startswith(f"{field} ")
    assert model.calls == []


def test_the_fields_medlb_and_lm_eval_send_are_accepted(port, model):
    status, _, _ = post(
        port,
        "/v1/completions",
        {"model": NAME, "prompt": "Q: A", "max_tokens": 1, "temperature": 0, "echo": True, "logprobs": 1},
        auth(),
    )
    assert status == 200
    status, _, _ = post(port, "/v1/completions", {"prompt": ["a"], "logprobs": 9, "echo": None}, auth())
    assert status == 200
    assert model.calls == [("complete", "Q: A", 1, True, 1), ("complete", "a", 16, False, 5)]


def test_an_unknown_model_is_404_with_the_right_key(port):
    status, _, body = post(port, "/v1/completions", {"model": "gpt-7", "prompt": "x"}, auth())
    assert status == 404 and "'gpt-7' is not served" in message(body)


# ---------------------------------------------------------------------- always a JSON reply


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "BREW"])
def test_other_methods_get_a_json_405(port, method):
    status, headers, body = headers_only(port, method, "/v1/completions", auth())
    assert status == 405 and headers["Allow"] == "GET, POST" and method in message(body)


def test_head_gets_the_headers_of_a_405_and_no_body(port):
    reply = raw_exchange(
        port, b"HEAD /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % KEY.encode()
    )
    head, _, rest = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405 ") and rest == b""


@pytest.mark.parametrize("request_line", [b"GARBAGE", b"GET", b"GET /v1/models HTTP/1.1 extra", b"GET / HTTP/x"])
def test_a_malformed_request_line_gets_a_json_400(port, request_line):
    reply = raw_exchange(port, request_line + b"\r\n\r\n")
    head, _, rest = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"Content-Type: application/json" in head
    assert "error" in json.loads(rest)


def test_an_unexpected_failure_gets_a_json_500_and_the_server_lives_on(port, model, capfd):
    model.fail_with = RuntimeError("boom")
    status, _, body = post(port, "/v1/completions", {"prompt": "x"}, auth())
    assert status == 500 and "boom" not in message(body)
    assert "RuntimeError: boom" in capfd.readouterr().err  # the traceback goes to the server's log
    model.fail_with = None
    assert post(port, "/v1/completions", {"prompt": "x"}, auth())[0] == 200


def test_a_success_keeps_the_connection_and_an_error_closes_it(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(2):
            conn.request("POST", "/v1/completions", json.dumps({"prompt": "x"}), auth())
            response = conn.getresponse()
            response.read()
            assert response.status == 200 and response.getheader("Connection") is None
        conn.request("POST", "/v1/completions", b"[]", auth())
        status, headers, _ = read(conn.getresponse())
        assert status == 400 and headers["Connection"] == "close"
    finally:
        conn.close()


def test_a_get_with_a_body_is_answered_and_its_connection_closed(port):
    reply = raw_exchange(
        port,
        b"GET /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: 24\r\n"
        b"Authorization: Bearer %s\r\n\r\nGET /v1/models HTTP/1.1\r\n" % KEY.encode(),
    )
    # one reply only: the unread body is not taken for a second request
    assert reply.count(b"HTTP/1.1 ") == 1 and reply.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in reply
