"""The request store: leaderboard submissions waiting for, held by, or finished by a `medlb worker`.

Its own SQLite file, never the warehouse: the dashboard writes requests here while it stays read-only
on the warehouse, and several workers (processes, machines sharing a filesystem) claim from it at once.
SQLite fits: one UPDATE under its write lock claims atomically, and WAL mode lets the dashboard read
while a worker writes. A claim is a lease: the worker renews it (heartbeat_at) while it evaluates,
and a running request whose heartbeat is older than the lease (MEDLB_QUEUE_LEASE, default 600 s) is
claimable again, so a killed worker's request is picked up by the next one.

While a worker evaluates, it records the run's progress (questions written / total, at most every
PROGRESS_SECONDS), which the dashboard shows as "running — 120/450 questions".

The path comes from MEDLB_QUEUE (default ./medlb-queue.sqlite), as the warehouse's from MEDLB_WAREHOUSE.
The statements are the files under warehouse/sql/queue/.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl

from warehouse import sql
from warehouse.errors import MedlbError

ENV_VAR = "MEDLB_QUEUE"
DEFAULT_QUEUE = "medlb-queue.sqlite"
LEASE_ENV_VAR = "MEDLB_QUEUE_LEASE"
DEFAULT_LEASE_SECONDS = 600.0
BUSY_TIMEOUT_SECONDS = 30.0
PROGRESS_SECONDS = 5.0  # a worker writes progress at most this often (and when the run's last batch is written)
ADDED_COLUMNS = ("progress_done", "progress_total")  # added after the first release: older stores get them
STATUSES = ("pending", "running", "done", "failed")
T = TypeVar("T")


class QueueError(MedlbError):
    """The request store could not be used; the message says what to do."""


@dataclass(frozen=True)
class NewRequest:
    model_id: str
    revision: str
    precision: str
    model_type: str
    tasks: tuple[str, ...]
    notes: str = ""


@dataclass(frozen=True)
class Claim:
    request_id: int
    model_id: str
    revision: str
    precision: str
    model_type: str
    tasks: tuple[str, ...]
    notes: str
    attempts: int
    worker: str


def queue_path(path: str | os.PathLike | None = None) -> Path:
    """Flag beats environment beats default (./medlb-queue.sqlite)."""
    return Path(path or os.environ.get(ENV_VAR) or DEFAULT_QUEUE)


def lease_seconds() -> float:
    text = os.environ.get(LEASE_ENV_VAR, "")
    try:
        return float(text) if text else DEFAULT_LEASE_SECONDS
    except ValueError:
        raise QueueError(f"{LEASE_ENV_VAR}={text!r}: expected a number of seconds, e.g. 600") from None


@contextlib.contextmanager
def _connection(path: str | os.PathLike | None) -> Iterator[sqlite3.Connection]:
    p = queue_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = sqlite3.connect(p, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        raise QueueError(f"cannot open the request store {p}: {exc}. Set {ENV_VAR} to a writable file.") from exc
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(sql.load("queue/create_requests"))
        _upgrade(con)
        yield con
    finally:
        con.close()


def _missing_columns(con: sqlite3.Connection) -> list[str]:
    present = {name for (name,) in con.execute(sql.load("queue/request_columns"))}
    return [column for column in ADDED_COLUMNS if column not in present]


def _upgrade(con: sqlite3.Connection) -> None:
    """Add the columns a store made by an older medlb lacks (checked again under the write lock: two
    processes opening an old store at once add each column once)."""
    if not _missing_columns(con):
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        for column in _missing_columns(con):
            con.execute(sql.load(f"queue/add_{column}"))
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def execute_write(fn: Callable[[sqlite3.Connection], T], path: str | os.PathLike | None = None) -> T:
    """`fn(con)` in one immediate transaction (the write lock taken up front): all of it, or none."""
    with _connection(path) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            result = fn(con)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        return result


def submit(request: NewRequest, path: str | os.PathLike | None = None) -> tuple[int, str | None]:
    """(request id, None) for a new request; (existing id, its status) for a duplicate, which is not stored."""
    params = {
        "model_id": request.model_id,
        "revision": request.revision,
        "precision": request.precision,
        "tasks": ",".join(sorted(request.tasks)),
    }

    def write(con: sqlite3.Connection) -> tuple[int, str | None]:
        existing = con.execute(sql.load("queue/find_duplicate"), params).fetchone()
        if existing:
            return existing[0], existing[1]
        row = con.execute(
            sql.load("queue/insert_request"),
            {**params, "model_type": request.model_type, "notes": request.notes, "submitted_at": time.time()},
        ).fetchone()
        return row[0], None

    return execute_write(write, path)


def claim_next(worker: str, path: str | os.PathLike | None = None, lease: float | None = None) -> Claim | None:
    """The oldest pending (or lease-expired) request, now running under `worker`; None when there is none."""
    now = time.time()
    stale_before = now - (lease_seconds() if lease is None else lease)

    def write(con: sqlite3.Connection):
        return con.execute(
            sql.load("queue/claim_next"), {"worker": worker, "now": now, "stale_before": stale_before}
        ).fetchone()

    return _claim_from(execute_write(write, path), worker)


def claim(request_id: int, worker: str, path: str | os.PathLike | None = None) -> Claim | None:
    """That request, if it is pending, now running under `worker`; None when it is not pending."""
    params = {"request_id": request_id, "worker": worker, "now": time.time()}
    row = execute_write(lambda con: con.execute(sql.load("queue/claim_request"), params).fetchone(), path)
    return _claim_from(row, worker)


def _claim_from(row: tuple | None, worker: str) -> Claim | None:
    if row is None:
        return None
    request_id, model_id, revision, precision, model_type, tasks, notes, attempts = row
    return Claim(
        request_id, model_id, revision, precision, model_type, tuple(tasks.split(",")), notes, attempts, worker
    )


def renew_lease(claim: Claim, path: str | os.PathLike | None = None) -> bool:
    """False when the claim was lost (reclaimed by another worker after the lease ran out)."""
    params = {"request_id": claim.request_id, "worker": claim.worker, "now": time.time()}
    return execute_write(lambda con: con.execute(sql.load("queue/renew_lease"), params).fetchone(), path) is not None


def record_progress(claim: Claim, done: int, total: int, path: str | os.PathLike | None = None) -> bool:
    """`done` of `total` questions written (this renews the lease too); False if the claim was lost."""
    params = {"request_id": claim.request_id, "worker": claim.worker, "done": done, "total": total, "now": time.time()}
    row = execute_write(lambda con: con.execute(sql.load("queue/record_progress"), params).fetchone(), path)
    return row is not None


def finish(
    claim: Claim,
    status: str,
    run_id: str | None = None,
    error: str | None = None,
    path: str | os.PathLike | None = None,
) -> bool:
    """Mark the claimed request done (with its run id) or failed (with the reason); False if it was lost."""
    if status not in ("done", "failed"):
        raise ValueError(f"a claim finishes done or failed, not {status!r}")
    params = {
        "request_id": claim.request_id,
        "worker": claim.worker,
        "status": status,
        "run_id": run_id,
        "error": error,
        "now": time.time(),
    }
    return execute_write(lambda con: con.execute(sql.load("queue/finish_request"), params).fetchone(), path) is not None


def list_requests(path: str | os.PathLike | None = None) -> pl.DataFrame:
    """Every request, newest first (an empty frame with the columns when the store does not exist yet)."""
    with _connection(path) as con:
        cursor = con.execute(sql.load("queue/list_requests"))
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)
