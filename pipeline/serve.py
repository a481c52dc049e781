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
With --api-key (or $MEDLB_SERVE_API_KEY), requests need "Authorization: Bearer <key>".

Requests are served by threads but scored one at a time (a lock around the model): the point is a
faithful server for tests and small local runs, not throughput. Use vLLM or llama.cpp for that.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_TOP_LOGPROBS = 5
KEY_ENV = "MEDLB_SERVE_API_KEY"


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
        with self.lock:
            prompt_lp, prompt_top, last_logits = self._prompt_logprobs(ids, top_k if echo else None)
            new_ids = self._greedy(ids, max_tokens, last_logits)
            gen_lp, gen_top = self._generated_logprobs(ids, new_ids, last_logits, top_k) if top_k else ([], [])
        texts_new = [self._token_text(i) for i in new_ids]
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        choice = {"text": (prompt + text) if echo else text, "logprobs": None,
                  "finish_reason": "length" if len(new_ids) == max_tokens and max_tokens > 0 else "stop"}
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
            choice["logprobs"] = {"tokens": tokens, "token_logprobs": values, "top_logprobs": tops,
                                  "text_offset": text_offset}
        return choice, len(ids), len(new_ids)

    def chat(self, messages: list[dict], max_tokens: int) -> tuple[str, int, int, str]:
        if not getattr(self.tokenizer, "chat_template", None):
            raise BadRequest(f"{self.name} has no chat template: use /v1/completions")
        prompt = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids, _ = self._encode(prompt)
        with self.lock:
            new_ids = self._greedy(ids, max_tokens, None)
        finish = "length" if len(new_ids) == max_tokens else "stop"
        return self.tokenizer.decode(new_ids, skip_special_tokens=True), len(ids), len(new_ids), finish

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
        return [{self._token_text(int(i)): float(v) for v, i in zip(row_v, row_i)}
                for row_v, row_i in zip(values.tolist(), indices.tolist())]

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
                out = self.model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                          max_new_tokens=max_tokens, do_sample=False,
                                          pad_token_id=self.tokenizer.eos_token_id)
            new = out[0, len(ids):].tolist()
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


def completions_body(served: ServedModel, request: dict) -> dict:
    prompts = request.get("prompt")
    if isinstance(prompts, str):
        prompts = [prompts]
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
        raise BadRequest("prompt must be a string or a list of strings")
    max_tokens = _int_field(request, "max_tokens", 16)
    top_k = request.get("logprobs")
    if top_k is not None:
        top_k = max(1, min(MAX_TOP_LOGPROBS, _int_field(request, "logprobs", 1)))
    choices, n_in, n_out = [], 0, 0
    for index, prompt in enumerate(prompts):
        choice, used_in, used_out = served.complete(prompt, max_tokens, bool(request.get("echo")), top_k)
        choices.append({"index": index, **choice})
        n_in, n_out = n_in + used_in, n_out + used_out
    return {"id": f"cmpl-{time.time_ns()}", "object": "text_completion", "created": int(time.time()),
            "model": served.name, "choices": choices, "usage": _usage(n_in, n_out)}


def chat_body(served: ServedModel, request: dict) -> dict:
    messages = request.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) and "content" in m for m in messages):
        raise BadRequest("messages must be a list of {role, content}")
    text, n_in, n_out, finish = served.chat(messages, _int_field(request, "max_tokens", 256))
    return {"id": f"chatcmpl-{time.time_ns()}", "object": "chat.completion", "created": int(time.time()),
            "model": served.name, "usage": _usage(n_in, n_out),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}]}


def models_body(served: ServedModel) -> dict:
    return {"object": "list", "data": [{"id": served.name, "object": "model", "created": served.created,
                                        "owned_by": "medlb", "revision": served.revision}]}


def _usage(n_in: int, n_out: int) -> dict:
    return {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}


def _int_field(request: dict, name: str, default: int) -> int:
    value = request.get(name, default)
    if value is None:
        return default
    if not isinstance(value, int) or value < 0:
        raise BadRequest(f"{name} must be a non-negative integer")
    return value


def make_handler(served: ServedModel, api_key: str | None):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # one quiet line per request on stderr, never headers
            sys.stderr.write(f"serve: {self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")

        def do_GET(self):
            if self.path.rstrip("/") in ("/v1/models", "/models"):
                return self._guarded(lambda: models_body(served))
            if self.path.rstrip("/") == "/health":
                return self._send(200, {"status": "ok"})
            self._send(404, _error(f"no route {self.path}"))

        def do_POST(self):
            routes = {"/v1/completions": completions_body, "/completions": completions_body,
                      "/v1/chat/completions": chat_body, "/chat/completions": chat_body}
            route = routes.get(self.path.rstrip("/"))
            if route is None:
                return self._send(404, _error(f"no route {self.path}"))
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            except json.JSONDecodeError:
                return self._send(400, _error("body is not JSON"))
            if not isinstance(request, dict):
                return self._send(400, _error("body must be a JSON object"))
            if not served.serves(request.get("model")):
                return self._send(404, _error(f"model {request.get('model')!r} is not served; this serves {served.name!r}"))
            self._guarded(lambda: route(served, request))

        def _guarded(self, produce):
            if api_key and self.headers.get("Authorization") != f"Bearer {api_key}":
                return self._send(401, _error("invalid or missing API key", "invalid_api_key"))
            try:
                self._send(200, produce())
            except BadRequest as exc:
                self._send(exc.status, _error(str(exc)))

        def _send(self, status: int, body: dict):
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _error(message: str, code: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


# ---------------------------------------------------------------------- loading and main


def load_served_model(model: str, revision: str | None = None, gguf_file: str | None = None) -> ServedModel:
    """The model exactly as the transformers backend loads it, so the numbers are the local backend's."""
    from pipeline.backends import create_backend

    backend = create_backend("transformers", model=model, revision=revision, gguf_file=gguf_file,
                             dtype="float32", device="cpu")
    return ServedModel(name=model, revision=backend.info.revision, model=backend.model, tokenizer=backend.tokenizer,
                       created=int(time.time()), bos_text=backend.bos_text, aliases=(backend.info.name,))


def serve(served: ServedModel, host: str = "127.0.0.1", port: int = 8000, api_key: str | None = None) -> ThreadingHTTPServer:
    """A bound server (port 0 picks a free one); call serve_forever() on it."""
    server = ThreadingHTTPServer((host, port), make_handler(served, api_key))
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
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's); 1 avoids thrashing "
                        "when other processes share the cores")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    served = load_served_model(args.model, args.revision, args.gguf_file)
    server = serve(served, args.host, args.port, args.api_key or os.environ.get(KEY_ENV))
    host, port = server.server_address[:2]
    print(f"serving {served.name} on http://{host}:{port}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
