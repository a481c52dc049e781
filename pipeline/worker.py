"""`medlb worker`: take the oldest request from the request store, evaluate it, record the outcome.

    claim (atomic; a lease) -> evaluate into the warehouse (locally, or on Ray with --ray) -> done | failed

While it evaluates, a thread renews the claim's lease every third of the lease (MEDLB_QUEUE_LEASE,
default 600 s). A worker that is killed stops renewing, and once the lease has run out the next worker
claims the request again; the evaluation resumes from what the warehouse already holds (a run's id
depends only on what determines its numbers), so nothing is scored twice. The run's progress goes
into the store as it is written (Progress), for the dashboard's "running — 120/450 questions".
"""

from __future__ import annotations

import socket
import sys
import threading
import time
import traceback

from pipeline.distributed import evaluate_on_ray
from pipeline.run import EvalConfig, EvalResult, evaluate
from warehouse import queue
from warehouse.errors import MedlbError


def worker_name() -> str:
    return f"{socket.gethostname()}:{threading.get_native_id()}:{time.time_ns()}"


def config_for(claim: queue.Claim, warehouse: str | None, limit: int | None) -> EvalConfig:
    return EvalConfig(
        model=claim.model_id,
        revision=claim.revision,
        tasks=list(claim.tasks),
        warehouse=warehouse,
        dtype=claim.precision,
        limit=limit,
    )


class Lease(threading.Thread):
    """Renews a claim until stopped; notices (lost) when another worker has reclaimed it."""

    def __init__(self, claim: queue.Claim, path, seconds: float) -> None:
        super().__init__(daemon=True)
        self.claim, self.path, self.interval = claim, path, seconds / 3
        self.stopped = threading.Event()
        self.lost = False

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            if not queue.renew_lease(self.claim, self.path):
                self.lost = True
                return

    def __enter__(self) -> Lease:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.join()


class Progress:
    """evaluate's on_progress: writes (done, total) to the store at most every `seconds`, and the last batch."""

    def __init__(self, claim: queue.Claim, path, seconds: float = queue.PROGRESS_SECONDS) -> None:
        self.claim, self.path, self.seconds = claim, path, seconds
        self.last_write = -float("inf")

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last_write < self.seconds:
            return
        self.last_write = now
        queue.record_progress(self.claim, done, total, self.path)  # a lost claim is noticed by the Lease


def evaluate_claim(claim: queue.Claim, warehouse, ray: dict | None, limit, progress, on_progress=None) -> EvalResult:
    """`ray`: None for a local run, else evaluate_on_ray's address, actors and cpus_per_actor."""
    config = config_for(claim, warehouse, limit)
    if ray is not None:
        return evaluate_on_ray(config, **ray, progress=progress, on_progress=on_progress)
    return evaluate(config, progress=progress, on_progress=on_progress)


def process(claim: queue.Claim, queue_file, warehouse, ray: dict | None, limit, progress) -> str:
    """Evaluate one claimed request and finish it; returns the status it was given."""
    print(f"worker: request {claim.request_id}: {claim.model_id}@{claim.revision[:12]} on {len(claim.tasks)} tasks")
    with Lease(claim, queue_file, queue.lease_seconds()) as lease:
        try:
            result = evaluate_claim(claim, warehouse, ray, limit, progress, Progress(claim, queue_file))
        except MedlbError as exc:  # the request's problem (unknown model, unreachable hub): the user reads this
            status, run_id, error = "failed", None, str(exc)
        except Exception as exc:  # a bug in medlb: fail the request, keep the trace in the worker's log
            traceback.print_exc()
            status, run_id, error = "failed", None, f"internal error {type(exc).__name__}: {exc}; see the worker's log"
        else:
            run_id = result.run_id
            status, error = "done", None
            if result.n_failed:
                status, error = (
                    "failed",
                    f"{result.n_failed} predictions failed in run {run_id}; submit again to retry them",
                )
    if lease.lost or not queue.finish(claim, status, run_id, error, queue_file):
        print(f"worker: request {claim.request_id} was reclaimed by another worker; its outcome is theirs")
        return "lost"
    print(f"worker: request {claim.request_id}: {status}" + (f" ({error})" if error else f", run {run_id}"))
    return status


def work(
    queue_file=None,
    warehouse=None,
    ray: dict | None = None,
    once: bool = False,
    limit: int | None = None,
    poll_seconds: float = 10.0,
    progress: bool = True,
) -> int:
    """Process requests until interrupted (or one, with once); returns 0, the CLI's exit code."""
    name = worker_name()
    print(f"worker {name}: request store {queue.queue_path(queue_file)}", flush=True)
    while True:
        claim = queue.claim_next(name, queue_file)
        if claim is None:
            if once:
                print("worker: no pending request")
                return 0
            time.sleep(poll_seconds)
            continue
        process(claim, queue_file, warehouse, ray, limit, progress)
        sys.stdout.flush()
        if once:
            return 0
