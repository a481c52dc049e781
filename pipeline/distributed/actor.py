"""What runs inside a Ray worker: one backend, loaded once, running unit after unit of any kind of work.

The class is plain Python; pool.py wraps it with ray.remote and the resources it needs. An actor never opens
the warehouse: a unit's task (pipeline/distributed/work.py) returns rows, and the driver writes them.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Sequence

from pipeline.backends import create_backend


class BackendActor:
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

    def run(self, task: Callable, items: Sequence, *shared) -> tuple[list, float]:
        """`task(backend, items, *shared)` on one unit: its results, and the seconds it took."""
        started = time.monotonic()
        results = task(self.backend, items, *shared)
        return results, time.monotonic() - started


def loglikelihood(backend, requests: Sequence) -> list:
    return backend.loglikelihood(requests)


def generate(backend, requests: Sequence) -> list:
    return backend.generate(requests)
