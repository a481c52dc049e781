"""The backend interface: a batch of Requests in, one Scores per request out (same order)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


class Backend(Protocol):
    info: ModelInfo
    scoring_mode: str  # "loglikelihood" or "generative"

    def loglikelihood(self, requests: Sequence[Request]) -> list[Scores]:
        """Score every continuation of every request; batching and caching are the backend's."""
        ...

    def close(self) -> None: ...


class BackendError(MedlbError, RuntimeError):
    """A backend could not be created or used; the message says what to do next."""
