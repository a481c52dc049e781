"""What runs inside a Ray worker process: one backend, loaded once, scoring unit after unit.

The class is plain Python; pool.py wraps it with ray.remote and the resources it needs. An actor
never opens the warehouse: it returns predictions, and the driver writes them.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence

from pipeline.backends import create_backend
from pipeline.backends.base import Request, Scores
from pipeline.run import Item, score_items
from warehouse.records import Prediction


class ScoringActor:
    def __init__(self, backend_name: str, options: dict) -> None:
        self.backend = create_backend(backend_name, **options)

    def describe(self) -> dict:
        """What the driver needs for the run's identity, and where this actor lives (for the log)."""
        return {
            "info": self.backend.info,
            "scoring_mode": self.backend.scoring_mode,
            "identity_settings": dict(getattr(self.backend, "identity_settings", {})),
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }

    def score(self, run_id: str, items: Sequence[Item], shots: dict[str, tuple]) -> tuple[list[Prediction], float]:
        """A unit's predictions, computed exactly as a local run computes them, and the seconds it took."""
        started = time.monotonic()
        predictions = score_items(self.backend, run_id, items, shots)
        return predictions, time.monotonic() - started

    def loglikelihood(self, requests: Sequence[Request]) -> list[Scores]:
        return self.backend.loglikelihood(requests)
