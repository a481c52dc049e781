"""The backend interface: a batch of Requests in, one Scores per request out (same order); or a batch of
GenerationRequests in, one Generation per request out (same order), for answers in free text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from warehouse.errors import MedlbError
from warehouse.records import ModelInfo, sha256_text


@dataclass(frozen=True)
class Request:
    """What a backend scores: the prompt and the continuations whose log-likelihood it returns.

    `prefix` is a part of the prompt shared by many requests (the few-shot examples); the full
    prompt is prefix + context. Backends may cache the prefix's KV once and reuse it.
    """

    question_id: str
    context: str
    continuations: tuple[str, ...]
    prefix: str = ""

    @property
    def prompt(self) -> str:
        return self.prefix + self.context

    @property
    def prompt_hash(self) -> str:
        return sha256_text(self.prompt)[:16]


@dataclass(frozen=True)
class Scores:
    """A backend's answer for one Request: summed log-likelihood per continuation."""

    loglikelihoods: tuple[float, ...]
    latency_ms: float = 0.0
    input_tokens: int | None = None
    output_tokens: int | None = None
    raw_output: str | None = None  # generative scoring keeps the model's text
    status: str = "ok"  # ok | invalid (unparsable answer) | failed (backend gave up)
    cost_usd: float | None = None
    choice: int | None = None  # generative scoring: the option the model named (None if invalid)


DEFAULT_MAX_NEW_TOKENS = 256


@dataclass(frozen=True)
class GenerationRequest:
    """A conversation to continue in free text. `messages` are (role, content) pairs, as chat APIs take them.

    Sampling: temperature 0 is greedy (the default, reproducible); above 0 samples with `seed`.
    Generation stops at the model's end of turn / end of text, or after max_new_tokens.
    """

    request_id: str
    messages: tuple[tuple[str, str], ...]
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    temperature: float = 0.0
    seed: int = 0

    @property
    def messages_json(self) -> str:
        """The messages exactly as sent, as the warehouse stores them."""
        return json.dumps([{"role": r, "content": c} for r, c in self.messages], ensure_ascii=False)

    @property
    def sampling(self) -> dict:
        greedy = self.temperature == 0
        return {"max_new_tokens": self.max_new_tokens, "temperature": self.temperature, "greedy": greedy} | (
            {} if greedy else {"seed": self.seed}
        )


@dataclass(frozen=True)
class Generation:
    """A backend's answer to one GenerationRequest. `prompt` is the exact text the model read (the rendered
    chat template, or the plain prompt), where the backend knows it; an API backend sends messages only."""

    text: str
    prompt: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float = 0.0  # a batch's wall time shared equally among its rows
    cost_usd: float | None = None
    finish_reason: str = "stop"  # stop (end of turn) | length (max_new_tokens reached)
    status: str = "ok"  # ok | failed (the backend gave up; `text` then says why)
    settings: dict = field(default_factory=dict)  # what the backend added to the request's sampling


class Backend(Protocol):
    info: ModelInfo
    scoring_mode: str  # "loglikelihood" or "generative"

    def loglikelihood(self, requests: Sequence[Request]) -> list[Scores]:
        """Score every continuation of every request; batching and caching are the backend's."""
        ...

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Continue every conversation in free text; batching is the backend's."""
        ...

    def close(self) -> None: ...


class BackendError(MedlbError, RuntimeError):
    """A backend could not be created or used; the message says what to do next."""
