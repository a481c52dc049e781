"""The backend interface: a batch of Requests in, one Scores per request out (same order)."""
from __future__ import annotations

from typing import Protocol, Sequence

from pipeline.records import ModelInfo, Request, Scores


class Backend(Protocol):
    info: ModelInfo
    scoring_mode: str  # "loglikelihood" or "generative"

    def loglikelihood(self, requests: Sequence[Request]) -> list[Scores]:
        """Score every continuation of every request; batching and caching are the backend's."""
        ...

    def close(self) -> None:
        ...


class BackendError(RuntimeError):
    """A backend could not be created or used; the message says what to do next."""
