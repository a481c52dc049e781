"""A small OpenAI-compatible server for a local model: `python -m pipeline.serve --model smollm2-135m-instruct`.

Why it exists: the openai backend must be proven against a real server process serving a real model,
and llama.cpp's server (llama-cpp-python[server]) compiles llama.cpp from source, which takes longer
than CI can spend on this machine. So this serves the model our transformers backend loads
(pipeline.backends.hf), with the same tokenizer and fp32 weights, over stdlib http.server: the echoed
log-probs are the local backend's numbers, computed by one forward pass over the whole prompt.

Endpoints (the subset of the OpenAI API that medlb and lm-eval's local-completions use):
  GET  /v1/models            one entry: id, created (when the server started), owned_by, revision
                             (what the transformers backend records: the weights' sha256 or commit)
  POST /v1/completions       prompt (a string or a list), max_tokens (default 16, greedy), echo,
                             logprobs (top-k per position, at most 5): tokens, token_logprobs,
                             top_logprobs, text_offset (characters); usage
  POST /v1/chat/completions  messages through the model's chat template, greedy, max_tokens; usage
With --api-key (or $MEDLB_SERVE_API_KEY), every request but GET /health needs "Authorization: Bearer <key>",
checked first: a wrong key gets a 401 before the body is read or a route or model is looked up.

It does not trust its input: the body's size, the prompts per request, max_tokens and each prompt's tokens
(what echo sends back) are capped (the MAX_* constants below, each with a flag), and a malformed request
gets a JSON error naming the field (400, 404, 405, 411, 413), never a dropped connection.

Requests are served by threads but scored one at a time (a lock around the model): the point is a
faithful server for tests and small local runs, not throughput. Use vLLM or llama.cpp for that.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_TOP_LOGPROBS = 5
KEY_ENV = "MEDLB_SERVE_API_KEY"

# Caps on what one request may ask for. medlb sends one prompt of a few kilobytes with max_tokens of 1 or 32,
# and lm-eval batches a few prompts: the defaults leave room many times over while bounding what a careless or
# hostile client can make the server hold (memory) or the model lock (time).
MAX_BODY_BYTES = 4 * 1024 * 1024  # the body is read whole and parsed in memory, so its size is checked first
MAX_PROMPTS = 64  # prompts in one /completions request; they are scored one after another under the lock
MAX_TOKENS = 2048  # max_tokens: greedy decoding holds the model lock for every token
MAX_PROMPT_TOKENS = 4096  # tokens in one prompt: its logits take tokens x vocabulary x 4 bytes (0.8 GB, SmolLM2)
REQUEST_TIMEOUT_S = 120  # a client that stops sending mid-request frees its thread after this
DRAIN_S = 2.0  # how long a refused client may take to stop sending before the connection is closed


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class ServedModel:
    """A causal LM and its tokenizer, scored under a lock: torch on CPU gains nothing from overlap."""

    name: str
    revision: str
    model: Any
    tokenizer: Any
    created: int = 0
    bos_text: str | None = None  # a prompt already starting with this gets no second BOS (as in the backend)
    aliases: tuple[str, ...] = ()  # other names requests may use, e.g. the hub id behind a packaged alias
    max_prompt_tokens: int = MAX_PROMPT_TOKENS  # longer prompts get a 400 before the model sees them

    def __post_init__(self):
        self.lock = threading.Lock()

    def serves(self, model: str | None) -> bool:
        return model is None or model == self.name or model in self.aliases

    # ------------------------------------------------------------------ completions

    def complete(self, prompt: str, max_tokens: int, echo: bool, top_k: int | None) -> tuple[dict, int, int]:
        """One completion choice (without index), prompt tokens, completion tokens."""
        ids, offsets = self._encode(prompt)
        if not ids:
            raise BadRequest("prompt is empty")
        self._check_prompt_length(ids)
        with self.lock:
            prompt_lp, prompt_top, last_logits = self._prompt_logprobs(ids, top_k if echo else None)
            new_ids = self._greedy(ids, max_tokens, last_logits)
            gen_lp, gen_top = self._generated_logprobs(ids, new_ids, last_logits, top_k) if top_k else ([], [])
        texts_new = [self._token_text(i) for i in new_ids]
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        choice = {
            "text": (prompt + text) if echo else text,
            "logprobs": None,
            "finish_reason": "length" if len(new_ids) == max_tokens and max_tokens > 0 else "stop",
        }
        if top_k is not None:
            tokens, values, tops, text_offset = [], [], [], []
            if echo:
                tokens += [self._token_text(i) for i in ids]
                values += prompt_lp
                tops += prompt_top
                text_offset += offsets
            position = len(prompt) if echo else 0
            for token_text, value, top in zip(texts_new, gen_lp, gen_top):
                tokens.append(token_text)
                values.append(value)
                tops.append(top)
                text_offset.append(position)
                position += len(token_text)
            choice["logprobs"] = {
                "tokens": tokens,
                "token_logprobs": values,
                "top_logprobs": tops,
                "text_offset": text_offset,
            }
        return choice, len(ids), len(new_ids)

    def chat(self, messages: list[dict], max_tokens: int) -> tuple[str, int, int, str]:
        if not getattr(self.tokenizer, "chat_template", None):
            raise BadRequest(f"{self.name} has no chat template: use /v1/completions")
        prompt = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids, _ = self._encode(prompt)
        self._check_prompt_length(ids)
        with self.lock:
            new_ids = self._greedy(ids, max_tokens, None)
        finish = "length" if len(new_ids) == max_tokens else "stop"
        return self.tokenizer.decode(new_ids, skip_special_tokens=True), len(ids), len(new_ids), finish

    def _check_prompt_length(self, ids: list[int]) -> None:
        if len(ids) > self.max_prompt_tokens:
            raise BadRequest(
                f"the prompt is {len(ids)} tokens; this server takes at most {self.max_prompt_tokens} "
                "(--max-prompt-tokens)"
            )

    # ------------------------------------------------------------------ model calls

    def _encode(self, text: str) -> tuple[list[int], list[int]]:
        """Tokens and their character offsets, with the special tokens the transformers backend adds:
        the tokenizer's default (BOS for Gemma, none for SmolLM2), none if the text starts with BOS."""
        add_special = not (self.bos_text and text.startswith(self.bos_text))
        enc = self.tokenizer(text, add_special_tokens=add_special, return_offsets_mapping=True)
        return list(enc["input_ids"]), [start for start, _ in enc["offset_mapping"]]

    def _token_text(self, token_id: int) -> str:
        return self.tokenizer.decode([token_id])

    def _prompt_logprobs(self, ids: list[int], top_k: int | None):
        """log P(token_i | tokens_<i) for every prompt token (None for the first), and the last logits."""
        import torch

        with torch.inference_mode():
            logits = self.model(torch.tensor([ids])).logits[0].float()
        logprobs = torch.log_softmax(logits[:-1], dim=-1)
        values = [None] + logprobs.gather(1, torch.tensor(ids[1:]).unsqueeze(1)).squeeze(1).tolist()
        tops = [None] + self._tops(logprobs, top_k) if top_k else [None] * len(ids)
        return values, tops, logits[-1]

    def _tops(self, logprobs, k: int) -> list[dict[str, float]]:
        values, indices = logprobs.topk(k, dim=-1)
        return [
            {self._token_text(int(i)): float(v) for v, i in zip(row_v, row_i)}
            for row_v, row_i in zip(values.tolist(), indices.tolist())
        ]

    def _greedy(self, ids: list[int], max_tokens: int, last_logits) -> list[int]:
        """Greedy decoding, stopping at end-of-text; one token is read off the prompt pass's logits."""
        import torch

        if max_tokens <= 0:
            return []
        eos = self._eos_ids()
        if max_tokens == 1 and last_logits is not None:
            new = [int(last_logits.argmax())]
        else:
            with torch.inference_mode():
                out = self.model.generate(
                    torch.tensor([ids]),
                    attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                    max_new_tokens=max_tokens,
                    do_sample=False,
                    pad_token_id=self.tokenizer.eos_token_id,
                )
            new = out[0, len(ids) :].tolist()
        for index, token in enumerate(new):
            if token in eos:
                return new[:index]
        return new

    def _generated_logprobs(self, ids: list[int], new_ids: list[int], last_logits, top_k: int):
        """Log-probs of the generated tokens: the first from the prompt pass, any others from one more pass."""
        if not new_ids:
            return [], []
        import torch

        logits = last_logits.unsqueeze(0)
        if len(new_ids) > 1:
            with torch.inference_mode():
                logits = self.model(torch.tensor([ids + new_ids])).logits[0, len(ids) - 1 : -1].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        values = logprobs.gather(1, torch.tensor(new_ids).unsqueeze(1)).squeeze(1).tolist()
        return values, self._tops(logprobs, top_k)

    def _eos_ids(self) -> set[int]:
        found = {self.tokenizer.eos_token_id}
        configured = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        found |= set(configured if isinstance(configured, list) else [configured])
        return {i for i in found if i is not None}


# ---------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class Limits:
    """The caps on one request that the HTTP layer checks (the prompt-token cap needs the tokenizer: ServedModel)."""

    body_bytes: int = MAX_BODY_BYTES
    prompts: int = MAX_PROMPTS
    max_tokens: int = MAX_TOKENS


def completions_body(served: ServedModel, request: dict, limits: Limits) -> dict:
    prompts = _prompts(request, limits.prompts)
    max_tokens = _int_field(request, "max_tokens", 16, limits.max_tokens)
    echo = _bool_field(request, "echo")
    top_k = _top_logprobs(request)
    choices, n_in, n_out = [], 0, 0
    for index, prompt in enumerate(prompts):
        choice, used_in, used_out = served.complete(prompt, max_tokens, echo, top_k)
        choices.append({"index": index, **choice})
        n_in, n_out = n_in + used_in, n_out + used_out
    return {
        "id": f"cmpl-{time.time_ns()}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": served.name,
        "choices": choices,
        "usage": _usage(n_in, n_out),
    }


def chat_body(served: ServedModel, request: dict, limits: Limits) -> dict:
    messages = _messages(request)
    text, n_in, n_out, finish = served.chat(messages, _int_field(request, "max_tokens", 256, limits.max_tokens))
    return {
        "id": f"chatcmpl-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": served.name,
        "usage": _usage(n_in, n_out),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
    }


def models_body(served: ServedModel) -> dict:
    return {
        "object": "list",
        "data": [
            {
                "id": served.name,
                "object": "model",
                "created": served.created,
                "owned_by": "medlb",
                "revision": served.revision,
            }
        ],
    }


def _usage(n_in: int, n_out: int) -> dict:
    return {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}


def _prompts(request: dict, cap: int) -> list[str]:
    prompts = request.get("prompt")
    if isinstance(prompts, str):
        prompts = [prompts]
    if not isinstance(prompts, list) or not prompts:
        raise BadRequest(f"prompt must be a string or a non-empty list of strings, not {_json_type(prompts)}")
    if len(prompts) > cap:
        raise BadRequest(
            f"prompt holds {len(prompts)} prompts; this server takes at most {cap} per request "
            "(--max-prompts): split the batch"
        )
    for index, prompt in enumerate(prompts):
        _check_text(prompt, f"prompt[{index}]")
    return prompts


def _messages(request: dict) -> list[dict]:
    messages = request.get("messages")
    if not isinstance(messages, list):
        raise BadRequest(f"messages must be a list of {{role, content}}, not {_json_type(messages)}")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise BadRequest(f"messages[{index}] must be an object {{role, content}}, not {_json_type(message)}")
        for key in ("role", "content"):
            _check_text(message.get(key), f"messages[{index}].{key}")
    return messages


def _check_text(value: Any, field: str) -> None:
    if not isinstance(value, str):
        raise BadRequest(f"{field} must be a string, not {_json_type(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # JSON can spell a lone surrogate ("\ud800"); no tokenizer takes one
        raise BadRequest(f"{field} holds a lone surrogate escape: send valid Unicode text") from None


def _int_field(request: dict, name: str, default: int, cap: int | None = None) -> int:
    value = request.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(f"{name} must be a non-negative integer, not {_json_type(value)}")
    if cap is not None and value > cap:
        raise BadRequest(f"{name} must be at most {cap} on this server (--{name.replace('_', '-')})")
    return value


def _bool_field(request: dict, name: str) -> bool:
    value = request.get(name)
    if value is not None and not isinstance(value, bool):
        raise BadRequest(f"{name} must be true or false, not {_json_type(value)}")
    return bool(value)


def _top_logprobs(request: dict) -> int | None:
    """How many top log-probs per position: none unless asked, and 1..MAX_TOP_LOGPROBS (clamped, as OpenAI's)."""
    if request.get("logprobs") is None:
        return None
    return max(1, min(MAX_TOP_LOGPROBS, _int_field(request, "logprobs", 1)))


def _requested_model(request: dict) -> str | None:
    model = request.get("model")
    if model is not None and not isinstance(model, str):
        raise BadRequest(f"model must be a string, not {_json_type(model)}")
    return model


def _json_type(value: Any) -> str:
    """What a JSON value is, in JSON's words, for error messages that must not quote the value back."""
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


POST_ROUTES = {
    "/v1/completions": completions_body,
    "/completions": completions_body,
    "/v1/chat/completions": chat_body,
    "/chat/completions": chat_body,
}
MODEL_PATHS = ("/v1/models", "/models")
HEALTH_PATH = "/health"


def make_handler(served: ServedModel, api_key: str | None, limits: Limits = Limits()):
    # Raw bytes on both sides: os.fsencode undoes how the key became a str (argv, environment), and header values
    # are latin-1 decodings of the bytes sent, so the comparison is of what the client typed.
    expected_auth = b"Bearer " + os.fsencode(api_key) if api_key else None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = REQUEST_TIMEOUT_S

        def log_message(self, format, *args):  # one quiet line per request on stderr, never headers
            path = getattr(self, "path", "")  # unset when the request line itself was malformed
            sys.stderr.write(f"serve: {self.command} {path!a} {args[1] if len(args) > 1 else ''}\n")

        # ---------------------------------------------------------- checks every request passes first

        def parse_request(self) -> bool:
            """stdlib calls this once a request's headers are read, before its do_ method, and a False return
            means "answered". So the key is checked here, before any body is read and any route or model looked
            up; then methods other than GET and POST get a 405 (stdlib would send an HTML 501)."""
            self._continue_wanted = False
            self._body_read = False
            if not super().parse_request():
                return False  # stdlib answered a malformed request line or header block through send_error
            if not self._authorized() and not (self.command == "GET" and self._route_path() == HEALTH_PATH):
                self._send(401, _error("invalid or missing API key", "invalid_api_key"))
                return False
            if self.command not in ("GET", "POST"):
                self._send(
                    405, _error(f"method {self.command} is not allowed here: use GET or POST"), {"Allow": "GET, POST"}
                )
                return False
            return True

        def _authorized(self) -> bool:
            if expected_auth is None:
                return True
            presented = self.headers.get("Authorization", "").encode("latin-1", "replace")
            return hmac.compare_digest(presented, expected_auth)

        def handle_expect_100(self) -> bool:
            # "Expect: 100-continue" asks whether to send the body: say so only once the key and the length
            # passed (in _read_body), so a refused client never sends it.
            self._continue_wanted = True
            return True

        def handle_one_request(self):
            try:
                super().handle_one_request()
            except ConnectionError:  # the client hung up (reset, broken pipe): no one to answer, and no crash
                self.close_connection = True
                return
            if self.close_connection:
                self._drain_before_close()

        # ---------------------------------------------------------- routes

        def do_GET(self):
            path = self._route_path()
            if path in MODEL_PATHS:
                return self._respond(lambda: models_body(served))
            if path == HEALTH_PATH:
                return self._send(200, {"status": "ok"})
            self._send(404, _error(f"no route {self.path}"))

        def do_POST(self):
            route = POST_ROUTES.get(self._route_path())
            if route is None:
                return self._send(404, _error(f"no route {self.path}"))
            self._respond(lambda: self._route_request(route))

        def _route_request(self, route) -> dict:
            request = self._json_body()
            model = _requested_model(request)
            if not served.serves(model):
                raise BadRequest(f"model {model!r} is not served; this serves {served.name!r}", 404)
            return route(served, request, limits)

        def _route_path(self) -> str:
            return self.path.rstrip("/")

        # ---------------------------------------------------------- the body

        def _json_body(self) -> dict:
            data = self._read_body()
            try:
                request = json.loads(data or b"{}")
            except RecursionError:
                raise BadRequest("body is JSON nested too deeply to read") from None
            except ValueError as exc:  # JSONDecodeError, a body that is not UTF-8, an integer of 4300+ digits
                raise BadRequest(f"body is not JSON: {exc}") from None
            if not isinstance(request, dict):
                raise BadRequest(f"body must be a JSON object, not {_json_type(request)}")
            return request

        def _read_body(self) -> bytes:
            length = self._content_length()
            if self._continue_wanted:
                super().handle_expect_100()
            data = self.rfile.read(length)
            self._body_read = True
            if len(data) < length:
                raise BadRequest(f"body ended after {len(data)} of its {length} bytes (Content-Length)")
            return data

        def _content_length(self) -> int:
            """The body's declared length, checked before a byte of it is read."""
            if self.headers.get("Transfer-Encoding") is not None:
                raise BadRequest("send the body with a Content-Length header; Transfer-Encoding is not accepted", 411)
            values = {value.strip() for value in self.headers.get_all("Content-Length") or []}
            if not values:
                raise BadRequest("a POST needs a Content-Length header", 411)
            if len(values) > 1:
                raise BadRequest("the request has conflicting Content-Length headers: send one")
            text = values.pop()
            if not (text.isascii() and text.isdigit()):
                raise BadRequest("Content-Length must be a non-negative integer (ASCII digits only)")
            digits = text.lstrip("0") or "0"
            if len(digits) > len(str(limits.body_bytes)) or int(digits) > limits.body_bytes:
                raise BadRequest(
                    f"body is larger than this server's {limits.body_bytes}-byte limit "
                    "(--max-body-bytes): send fewer or shorter prompts per request",
                    413,
                )
            return int(digits)

        # ---------------------------------------------------------- replies

        def _respond(self, produce):
            """Reply with produce()'s body, or the error it raised; never drop the connection without a reply."""
            try:
                status, body = 200, produce()
            except BadRequest as exc:
                status, body = exc.status, _error(str(exc))
            except OSError:
                raise  # the connection failed (a client that stalled or left mid-body): stdlib closes it
            except Exception:  # noqa: BLE001 - a bug or a model failure: still a reply, and the traceback logged
                sys.stderr.write(f"serve: internal error on {self.command} {self.path!a}\n{traceback.format_exc()}")
                status, body = 500, _error("internal server error: see the server's log", "server_error")
            self._send(status, body)

        def send_error(self, code, message=None, explain=None):
            """stdlib's own replies (a malformed request line or headers) as JSON, like every other reply."""
            if self.request_version == "HTTP/0.9":  # no version was read: stdlib would drop the status line
                self.request_version = self.protocol_version
            self._send(int(code), _error(message or HTTPStatus(code).phrase))

        def _send(self, status: int, body: dict, headers: dict[str, str] | None = None):
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if status != 200 or self._body_unread():  # a 200 comes only after the request parsed
                self.send_header("Connection", "close")  # what follows on this connection may be an unread body
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _body_unread(self) -> bool:
            """Whether the request declared a body that was not read (a GET's): the connection cannot be reused."""
            declared = (
                self.headers.get("Transfer-Encoding") is not None
                or (self.headers.get("Content-Length") or "0").strip() != "0"
            )
            return declared and not self._body_read

        def _drain_before_close(self):
            """Closing a socket that still has unread input resets the connection, and the reset can destroy our
            reply before the client reads it (a client still sending a body we refused). So end our side first,
            then read and drop what still arrives, for a bounded time and size."""
            deadline = time.monotonic() + DRAIN_S
            budget = limits.body_bytes + 65536  # a body within the limits, and a little more
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
                while budget > 0 and (left := deadline - time.monotonic()) > 0:
                    self.connection.settimeout(left)
                    chunk = self.rfile.read1(65536)
                    if not chunk:
                        return
                    budget -= len(chunk)
            except OSError:
                return  # the client closed or stalled: nothing is left to protect

    return Handler


def _error(message: str, code: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


# ---------------------------------------------------------------------- loading and main


def load_served_model(
    model: str, revision: str | None = None, gguf_file: str | None = None, max_prompt_tokens: int = MAX_PROMPT_TOKENS
) -> ServedModel:
    """The model exactly as the transformers backend loads it, so the numbers are the local backend's."""
    from pipeline.backends import create_backend

    backend = create_backend(
        "transformers", model=model, revision=revision, gguf_file=gguf_file, dtype="float32", device="cpu"
    )
    return ServedModel(
        name=model,
        revision=backend.info.revision,
        model=backend.model,
        tokenizer=backend.tokenizer,
        created=int(time.time()),
        bos_text=backend.bos_text,
        aliases=(backend.info.name,),
        max_prompt_tokens=max_prompt_tokens,
    )


def serve(
    served: ServedModel,
    host: str = "127.0.0.1",
    port: int = 8000,
    api_key: str | None = None,
    limits: Limits = Limits(),
) -> ThreadingHTTPServer:
    """A bound server (port 0 picks a free one); call serve_forever() on it."""
    server = ThreadingHTTPServer((host, port), make_handler(served, api_key, limits))
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="what `medlb eval --backend transformers --model` accepts")
    parser.add_argument("--revision")
    parser.add_argument("--gguf-file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (printed on start)")
    parser.add_argument("--api-key", help=f"require this bearer key (default: ${KEY_ENV}, else none)")
    parser.add_argument(
        "--threads",
        type=int,
        help="torch CPU threads (default: torch's); 1 avoids thrashing when other processes share the cores",
    )
    caps = parser.add_argument_group("caps on one request (see the MAX_* constants in pipeline/serve.py)")
    caps.add_argument("--max-body-bytes", type=_positive_int, default=MAX_BODY_BYTES, help="%(default)s")
    caps.add_argument("--max-prompts", type=_positive_int, default=MAX_PROMPTS, help="%(default)s")
    caps.add_argument("--max-tokens", type=_positive_int, default=MAX_TOKENS, help="%(default)s")
    caps.add_argument("--max-prompt-tokens", type=_positive_int, default=MAX_PROMPT_TOKENS, help="%(default)s")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    served = load_served_model(args.model, args.revision, args.gguf_file, args.max_prompt_tokens)
    limits = Limits(body_bytes=args.max_body_bytes, prompts=args.max_prompts, max_tokens=args.max_tokens)
    server = serve(served, args.host, args.port, args.api_key or os.environ.get(KEY_ENV), limits)
    host, port = server.server_address[:2]
    print(f"serving {served.name} on http://{host}:{port}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
