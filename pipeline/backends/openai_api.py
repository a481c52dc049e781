"""A backend for any OpenAI-compatible server: OpenAI itself, vLLM, TGI, llama.cpp, Ollama, `medlb serve`.

Two scoring modes, chosen by `scoring_mode` ("auto" probes the server once):

* loglikelihood: for each option, POST /completions with the full prompt + continuation, echo=True,
  logprobs=1, max_tokens=1, temperature=0, and sum the log-probabilities of the echoed prompt tokens
  that spell the continuation (" A"): the same number the local transformers backend computes, so
  runs from both are comparable. The generated token is ignored. "auto" picks this mode when a probe
  request comes back with echoed prompt log-probabilities.
* generative: one chat completion per question at temperature 0 asking for the answer's label (the
  prompt and parsers are in openai_parse.py). Unparsable replies are recorded as invalid (wrong),
  with the reply kept.

Identity recorded with the run: ModelInfo.name is the model as given; ModelInfo.revision is, in this
order, the `--revision` given by the user, the `revision` field of the served model's /models entry
(`medlb serve` reports the sha256 of its weights there), "<id>@<created>" for api.openai.com (created
is fixed per model snapshot there), else "served:<id>" plus "@<root>" where the server reports a root
(vLLM: the weights it loaded). vLLM and llama.cpp report `created` as the time of the request, so it
is not used for them. Pass --revision to pin what a self-hosted server runs.

Per prediction: input/output tokens from the server's `usage` (summed over the option calls in
log-prob mode), latency in ms (the successful attempt of each call, summed), and cost in USD where a
price table names the model: {"model": {"input": $ per 1M tokens, "output": $ per 1M tokens}}, given
as `prices` (a dict or a JSON file path) or a JSON file named by $MEDLB_PRICES.

The API key comes from `api_key` or $OPENAI_API_KEY. It lives in the HttpClient only: not in
ModelInfo, identity_settings, any repr, log line or error message (servers that echo it are scrubbed).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

from pipeline.backends.base import BackendError, Generation, GenerationRequest, Request, Scores
from pipeline.backends.openai_http import (
    AuthRejected,
    HttpClient,
    Malformed,
    RequestFailed,
    Response,
)
from pipeline.backends.openai_parse import (
    GENERATIVE_MAX_TOKENS,
    GENERATIVE_PROMPT_VERSION,
    answer_labels,
    chat_prompt,
    parse_reply,
)
from warehouse.records import ModelInfo

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
KEY_ENV = "OPENAI_API_KEY"
PRICES_ENV = "MEDLB_PRICES"
SCORING_MODES = ("auto", "loglikelihood", "generative")
SETUP_RETRIES = 2  # a wrong --base-url should fail in seconds, not after the full backoff
PROBE_PROMPT, PROBE_CONTINUATION = "The capital of France is", " Paris"


def create_backend(
    model: str,
    base_url: str | None = None,
    api_key: str | None = None,
    scoring_mode: str = "auto",
    concurrency: int = 8,
    timeout: float = 60.0,
    max_retries: int = 6,
    prices: dict | str | os.PathLike | None = None,
    revision: str | None = None,
    variant: str = "",
    label: str = "",
    backoff_base: float = 0.5,
) -> OpenAIBackend:
    if scoring_mode not in SCORING_MODES:
        raise BackendError(f"--scoring-mode {scoring_mode!r}: choose one of {', '.join(SCORING_MODES)}")
    if concurrency < 1:
        raise BackendError(f"--concurrency must be at least 1, not {concurrency}")
    base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    key = api_key or os.environ.get(KEY_ENV) or None
    if is_openai(base_url) and not key:
        raise BackendError(f"{base_url} needs an API key: set {KEY_ENV} or pass --api-key")
    price_table = load_prices(prices)  # a bad table fails before any request is sent
    client = HttpClient(
        base_url, key, timeout=timeout, max_retries=max_retries, backoff_base=backoff_base, max_connections=concurrency
    )
    try:
        entry = served_model(client, model)
        mode = resolve_scoring_mode(client, model, scoring_mode)
    except Exception:  # no backend comes of it, so nothing else would close its connections
        client.close()
        raise
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    info = ModelInfo(
        name=model,
        revision=revision or revision_of(entry, model, base_url),
        variant=variant,
        label=label,
        dtype=None,
        device=None,
        n_params=meta.get("n_params") if isinstance(meta.get("n_params"), int) else None,
        source="api",
        model_type="commercial" if is_openai(base_url) else None,
    )
    return OpenAIBackend(model, client, mode, concurrency, price_table, info)


class OpenAIBackend:
    def __init__(
        self,
        model: str,
        client: HttpClient,
        scoring_mode: str,
        concurrency: int,
        prices: dict[str, dict[str, float]],
        info: ModelInfo,
    ):
        self.model = model
        self.client = client
        self.scoring_mode = scoring_mode
        self.concurrency = concurrency
        self.prices = prices
        self.info = info
        self.identity_settings = {"scoring_mode": scoring_mode, "temperature": 0.0}
        if scoring_mode == "generative":
            self.identity_settings.update(generative_prompt=GENERATIVE_PROMPT_VERSION, max_tokens=GENERATIVE_MAX_TOKENS)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="medlb-openai")

    def __repr__(self) -> str:
        return (
            f"OpenAIBackend(model={self.model!r}, base_url={self.client.base_url!r}, "
            f"scoring_mode={self.scoring_mode!r}, concurrency={self.concurrency})"
        )

    @property
    def stats(self):
        """Request counters of the HTTP client: requests, retries, retry:<reason>, failed."""
        return self.client.stats

    def loglikelihood(self, requests: Sequence[Request]) -> list[Scores]:
        if self.scoring_mode == "generative":
            futures = [self._pool.submit(self._generate, request) for request in requests]
            return [future.result() for future in futures]
        # one call per (question, option), all in one pool, so options of a question run side by side
        futures = [
            [self._pool.submit(self._option_logprob, request, c) for c in request.continuations] for request in requests
        ]
        return [self._combine(request, [f.result() for f in calls]) for request, calls in zip(requests, futures)]

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """One chat completion per request, `concurrency` at a time, with the client's retries and key scrubbing."""
        futures = [self._pool.submit(self._chat, request) for request in requests]
        return [future.result() for future in futures]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.client.close()

    def _chat(self, request: GenerationRequest) -> Generation:
        payload = chat_payload(self.model, request)
        try:
            answer = self._post("chat/completions", payload, chat_text)
        except RequestFailed as exc:
            log.warning("request %s failed: %s", request.request_id, exc)
            return Generation(text=self.client.safe(str(exc)), status="failed")
        tokens_in, tokens_out = usage(answer.body)
        finish = answer.body["choices"][0].get("finish_reason")
        return Generation(
            text=self.client.safe(chat_text(answer.body)),
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            latency_ms=answer.latency_ms,
            cost_usd=self._cost(tokens_in or 0, tokens_out or 0),
            finish_reason=finish if finish in ("stop", "length") else "stop",
            settings={"endpoint": "chat/completions"},
        )

    # ------------------------------------------------------------------ log-prob mode

    def _option_logprob(self, request: Request, continuation: str) -> tuple[float, Response] | RequestFailed:
        context, tail = split_trailing_space(request.prompt, continuation)
        prompt = context + tail
        try:
            answer = self._post(
                "completions",
                logprob_payload(self.model, prompt),
                lambda body: continuation_logprob(body, prompt, tail),
            )
        except RequestFailed as exc:
            return exc
        return continuation_logprob(answer.body, prompt, tail), answer

    def _combine(self, request: Request, answers: list[tuple[float, Response] | RequestFailed]) -> Scores:
        failures = [a for a in answers if isinstance(a, RequestFailed)]
        if failures:
            log.warning("question %s failed: %s", request.question_id, failures[0])
            return Scores(loglikelihoods=(), status="failed", raw_output=str(failures[0]))
        responses = [response for _, response in answers]
        tokens_in, tokens_out = (sum(usage(r.body)[i] or 0 for r in responses) for i in (0, 1))
        return Scores(
            loglikelihoods=tuple(value for value, _ in answers),
            latency_ms=sum(r.latency_ms for r in responses),
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=self._cost(tokens_in, tokens_out),
        )

    # ------------------------------------------------------------------ generative mode

    def _generate(self, request: Request) -> Scores:
        payload = {
            "model": self.model,
            "messages": [{"role": "user", "content": chat_prompt(request.prompt, request.continuations)}],
            "temperature": 0,
            "max_tokens": GENERATIVE_MAX_TOKENS,
        }
        try:
            answer = self._post("chat/completions", payload, chat_text)
        except RequestFailed as exc:
            log.warning("question %s failed: %s", request.question_id, exc)
            return Scores(loglikelihoods=(), status="failed", raw_output=str(exc))
        text = self.client.safe(chat_text(answer.body))
        choice = parse_reply(text, answer_labels(request.continuations), request.prompt)
        tokens_in, tokens_out = usage(answer.body)
        return Scores(
            loglikelihoods=(),
            latency_ms=answer.latency_ms,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            raw_output=text,
            status="ok" if choice is not None else "invalid",
            cost_usd=self._cost(tokens_in or 0, tokens_out or 0),
            choice=choice,
        )

    # ------------------------------------------------------------------ shared

    def _post(self, path: str, payload: dict, validate) -> Response:
        try:
            return self.client.post(path, payload, validate)
        except AuthRejected as exc:  # every further request would fail the same way: stop the run
            raise BackendError(f"{exc}. Check {KEY_ENV} or --api-key.") from None

    def _cost(self, tokens_in: int, tokens_out: int) -> float | None:
        price = self.prices.get(self.model)
        if price is None:
            return None
        return (tokens_in * price["input"] + tokens_out * price["output"]) / 1_000_000


# ---------------------------------------------------------------------- response shapes


def chat_payload(model: str, request: GenerationRequest) -> dict:
    """The chat completion a GenerationRequest becomes: its messages as given, its sampling settings."""
    payload = {
        "model": model,
        "messages": [{"role": role, "content": content} for role, content in request.messages],
        "temperature": request.temperature,
        "max_tokens": request.max_new_tokens,
    }
    if request.temperature:
        payload["seed"] = request.seed
    return payload


def logprob_payload(model: str, prompt: str) -> dict:
    return {"model": model, "prompt": prompt, "max_tokens": 1, "temperature": 0, "echo": True, "logprobs": 1}


def split_trailing_space(context: str, continuation: str) -> tuple[str, str]:
    """lm-eval's rule: trailing whitespace of the context belongs to the continuation ("Answer: " + "A")."""
    stripped = context.rstrip()
    return stripped, context[len(stripped) :] + continuation


def usage(body: dict) -> tuple[int | None, int | None]:
    used = body.get("usage") or {}
    return used.get("prompt_tokens"), used.get("completion_tokens")


def continuation_logprob(body: dict, prompt: str, continuation: str) -> float:
    """Sum of the log-probs of the echoed prompt tokens that spell `continuation`, the prompt's end.

    A token that straddles the context/continuation boundary counts as the continuation's. The
    boundary is found from the prompt's end backwards, in the server's own text_offset unit (bytes
    or characters: servers differ once a prompt has non-ASCII text, but the continuation is the
    prompt's tail, so its length is the same in both); servers without text_offset are split by the
    lengths of the echoed token texts instead.
    """
    logprobs = body["choices"][0].get("logprobs") or {}
    tokens, values = logprobs.get("tokens"), logprobs.get("token_logprobs")
    if not isinstance(tokens, list) or not isinstance(values, list) or len(tokens) != len(values):
        raise Malformed("no echoed tokens with token_logprobs (does this server support echo + logprobs?)")
    offsets = logprobs.get("text_offset")
    if not isinstance(offsets, list) or len(offsets) != len(tokens):
        offsets = None
    n_prompt = len(tokens) - generated_count(body, offsets, len(prompt))
    if n_prompt < 2:
        raise Malformed(f"only {n_prompt} echoed prompt tokens: the server did not echo the prompt")
    if offsets is not None:
        end = offsets[n_prompt] if n_prompt < len(offsets) else len(prompt)  # the prompt's end, server's unit
        token_ends = offsets[1:n_prompt] + [end]
        chosen = [i for i in range(1, n_prompt) if token_ends[i] > end - len(continuation)]
    else:
        chosen, covered = [], 0
        for index in range(n_prompt - 1, 0, -1):
            if covered >= len(continuation):
                break
            chosen.insert(0, index)
            covered += len(tokens[index])
    spelled = "".join(str(tokens[i]) for i in chosen)
    if not chosen or continuation.strip() not in spelled:
        raise Malformed(f"echoed prompt does not end with {continuation!r} (its last tokens spell {spelled!r})")
    if any(values[i] is None for i in chosen):
        raise Malformed("an echoed continuation token has no log-prob")
    return float(sum(values[i] for i in chosen))


def generated_count(body: dict, offsets: list | None, prompt_chars: int) -> int:
    """How many echoed tokens the server generated after the prompt (max_tokens=1: 0 or 1)."""
    n_tokens = len(body["choices"][0]["logprobs"]["tokens"])
    completion_tokens = (body.get("usage") or {}).get("completion_tokens")
    if isinstance(completion_tokens, int) and 0 <= completion_tokens <= n_tokens:
        return completion_tokens
    if offsets is not None:
        return sum(1 for offset in offsets if offset >= prompt_chars)
    raise Malformed("cannot tell prompt tokens from generated ones: no usage.completion_tokens, no text_offset")


def chat_text(body: dict) -> str:
    message = body["choices"][0]["message"]
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise Malformed("chat answer content is not text")
    return content or ""


# ---------------------------------------------------------------------- setup


def is_openai(base_url: str) -> bool:
    return urlparse(base_url).hostname == "api.openai.com"


def _setup_error(client: HttpClient, exc: RequestFailed, what: str) -> BackendError:
    if isinstance(exc, AuthRejected):
        return BackendError(f"{exc}. Check {KEY_ENV} or --api-key.")
    return BackendError(
        f"{what} at {client.base_url} failed: {exc}. Is the server running, and is --base-url "
        f"its OpenAI-compatible root (usually ending in /v1)?"
    )


def served_model(client: HttpClient, model: str) -> dict:
    """The /models entry for `model`; {} where the server has no model list."""
    try:
        body = client.get("models", validate=lambda b: b["data"], max_retries=SETUP_RETRIES).body
    except RequestFailed as exc:
        if exc.status in (404, 405, 501):
            return {}
        raise _setup_error(client, exc, "listing models") from None
    entries = [e for e in body["data"] if isinstance(e, dict)]
    for entry in entries:
        if entry.get("id") == model:
            return entry
    for entry in entries:  # Ollama lists "llama3:latest" and answers to "llama3"
        if str(entry.get("id", "")).split(":")[0] == model:
            return entry
    ids = ", ".join(sorted(str(e.get("id")) for e in entries)[:30])
    raise BackendError(f"{client.base_url} does not serve model {model!r}. It serves: {ids}. Pass one as --model.")


def revision_of(entry: dict, model: str, base_url: str) -> str:
    if entry.get("revision"):
        return str(entry["revision"])
    served = str(entry.get("id") or model)
    if is_openai(base_url) and entry.get("created"):
        return f"{served}@{entry['created']}"
    root = entry.get("root")
    return f"served:{served}" + (f"@{root}" if root and root != served else "")


def resolve_scoring_mode(client: HttpClient, model: str, requested: str) -> str:
    if requested == "generative":
        return requested
    reason = prompt_logprobs_missing(client, model)
    if reason is None:
        return "loglikelihood"
    if requested == "loglikelihood":
        raise BackendError(
            f"{client.base_url} does not return prompt log-probabilities for {model!r} ({reason}); "
            f"use --scoring-mode generative, or a server that supports echo + logprobs (vLLM, "
            f"llama-cpp-python with logits_all)"
        )
    log.info("%s: no prompt log-probs (%s); scoring generatively", client.base_url, reason)
    return "generative"


def prompt_logprobs_missing(client: HttpClient, model: str) -> str | None:
    """None when the server echoes prompt log-probs, else why not (a 4xx, or an answer without them)."""
    payload = logprob_payload(model, PROBE_PROMPT + PROBE_CONTINUATION)
    try:
        body = client.post("completions", payload, max_retries=SETUP_RETRIES).body
    except RequestFailed as exc:
        if not isinstance(exc, AuthRejected) and exc.status is not None and 400 <= exc.status < 500:
            return str(exc)
        raise _setup_error(client, exc, "probing /completions") from None
    try:
        continuation_logprob(body, PROBE_PROMPT + PROBE_CONTINUATION, PROBE_CONTINUATION)
    except (Malformed, KeyError, IndexError, TypeError, ValueError) as exc:
        return f"answer without usable prompt log-probs: {exc}"
    return None


def load_prices(prices: dict | str | os.PathLike | None) -> dict[str, dict[str, float]]:
    """{model: {"input": $/1M tokens, "output": $/1M tokens}} from a dict, a JSON file, or $MEDLB_PRICES."""
    where = "prices"
    if prices is None and os.environ.get(PRICES_ENV):
        prices = os.environ[PRICES_ENV]
    if prices is None:
        return {}
    if not isinstance(prices, dict):
        where = str(prices)
        try:
            prices = json.loads(Path(prices).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackendError(f"price table {where} not found (--prices or ${PRICES_ENV})") from None
        except json.JSONDecodeError as exc:
            raise BackendError(f"price table {where}: not JSON ({exc})") from None
    if not isinstance(prices, dict):
        raise BackendError(f"price table {where}: expected an object of model -> {{input, output}}")
    table = {}
    for model, entry in prices.items():
        try:
            table[model] = {"input": float(entry["input"]), "output": float(entry["output"])}
        except (KeyError, TypeError, ValueError):
            raise BackendError(
                f'price table {where}, model {model!r}: needs numeric "input" and "output" '
                f"($ per 1M tokens), got {entry!r}"
            ) from None
    return table
