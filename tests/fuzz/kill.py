"""kill -9 trials: a `medlb eval` or `medlb import lm-eval` is killed at a random point, run again, and the
warehouse it leaves is compared with the one a clean, uninterrupted run leaves.

A trial passes when, after the resume, the warehouse holds exactly the clean run's predictions (same
question ids, none twice, same picks and log-likelihoods) and runs, and every row that was there before the
killed command started is still there. The kill point is drawn from a seeded random.Random (kill_point):
a quarter of the trials kill before the command first writes the warehouse (model load, file reading),
the rest just after one of its writes, chosen uniformly (counted as changes to the file, not in seconds).
tests/fuzz/test_kill_resume.py runs a few trials; speed/kill_trials.py runs 20 of each.

An import writes in one transaction that lasts a fraction of a second, so random kills rarely land inside
it. transaction_trial makes sure one does: the command runs with warehouse.db.execute_write wrapped so
that, once every statement of the transaction has run and before the commit, it marks a file and waits;
the kill comes then. Only that child process is wrapped; the code under test is unchanged.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import ROOT, query

MODEL = "smollm2-135m-instruct"
EVAL_TASK = "mmlu_medical_genetics"
LM_EVAL_OUTPUT = next((ROOT / "tests" / "fixtures" / "lm_eval" / "output").iterdir())
PREDICTIONS = "SELECT run_id, question_id, variant, pred, loglikelihoods, status FROM predictions ORDER BY ALL"
RUNS = "SELECT run_id, status, tasks FROM runs ORDER BY ALL"
QUESTIONS = "SELECT question_id, content_hash FROM questions ORDER BY ALL"


def eval_args(warehouse: Path, limit: int) -> list[str]:
    return [
        "eval",
        "--model",
        MODEL,
        "--tasks",
        EVAL_TASK,
        "--limit",
        str(limit),
        "--batch-size",
        "2",
        "--warehouse",
        str(warehouse),
        "--no-progress",
    ]


def import_args(warehouse: Path) -> list[str]:
    return ["import", "lm-eval", str(LM_EVAL_OUTPUT), "--warehouse", str(warehouse)]


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
    )


def finish(args: list[str]) -> float:
    """Run a medlb command to its end; its wall time. A failure is an AssertionError with its stderr."""
    started = time.monotonic()
    proc = start(args)
    _, stderr = proc.communicate()
    if proc.returncode != 0:
        raise AssertionError(f"medlb {' '.join(args)} failed ({proc.returncode}): {stderr[-2000:]}")
    return time.monotonic() - started


# Runs `medlb ARGS` with each write held after its last statement and before its commit (argv: marker, ARGS).
HELD_BEFORE_COMMIT = """
import sys, time
from pathlib import Path
import warehouse.db as db

marker, real_execute_write = Path(sys.argv[1]), db.execute_write

def held_before_commit(fn, *args, **kwargs):
    def run_then_hold(con):
        result = fn(con)
        marker.write_text("every statement ran; the commit has not")
        time.sleep(3600)
        return result
    return real_execute_write(run_then_hold, *args, **kwargs)

db.execute_write = held_before_commit  # before pipeline imports it
from pipeline.cli import main
sys.exit(main(sys.argv[2:]))
"""


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    return {
        name: query(warehouse, sql)
        for name, sql in (("predictions", PREDICTIONS), ("runs", RUNS), ("questions", QUESTIONS))
    }


def prediction_rows(warehouse: Path) -> int:
    if not warehouse.exists():
        return 0
    try:
        return query(warehouse, "SELECT count(*) FROM predictions")[0][0]
    except Exception:  # the writer holds the lock for a moment, or the file is not yet a warehouse
        return -1


def file_state(warehouse: Path) -> tuple:
    """What changes when a writer touches the warehouse: the file's size and mtime, and its WAL's presence."""
    stat = warehouse.stat() if warehouse.exists() else None
    wal = warehouse.with_name(warehouse.name + ".wal")
    return (stat.st_size, stat.st_mtime_ns) if stat else None, wal.exists()


@dataclass
class Reference:
    """What a clean run leaves, and how long it ran before it first wrote the warehouse and in all."""

    state: dict[str, list[tuple]]
    first_write: float
    last_write: float  # the last change seen to the file or its WAL (the commit's checkpoint)
    total: float
    changes: int = 1  # changes seen to the file or its WAL (each write shows as one or more)


def clean_run(args: list[str], warehouse: Path, launch=None, state=None) -> Reference:
    """Run to the end, watching the writes; `launch(args)` starts it (default: start), `state(warehouse)`
    reads what it left (default: snapshot)."""
    untouched = file_state(warehouse)
    started = time.monotonic()
    proc = (launch or start)(args)
    first_write = last_write = None
    seen, changes = untouched, 0
    while proc.poll() is None:
        if (now := file_state(warehouse)) != seen:
            seen, last_write, changes = now, time.monotonic() - started, changes + 1
            first_write = first_write or last_write
        time.sleep(0.005)
    _, stderr = proc.communicate()
    if proc.returncode != 0:
        raise AssertionError(f"clean run failed ({proc.returncode}): {stderr[-2000:]}")
    total = time.monotonic() - started
    found = (state or snapshot)(warehouse)
    return Reference(found, first_write or total, last_write or total, total, max(changes, 1))


@dataclass
class Trial:
    kill_after: float  # seconds from the start
    rows_at_kill: int  # predictions in the warehouse just after the kill (-1: could not read)
    killed: bool  # False: the command had already ended
    problems: list[str]


@dataclass(frozen=True)
class KillPoint:
    """Either `seconds` after the start (before the command writes), or `seconds` after the trial has seen
    its `changes`-th change to the warehouse file or its WAL."""

    seconds: float
    after_first_write: bool
    changes: int = 1


def kill_point(rng: random.Random, reference: Reference) -> KillPoint:
    """A quarter of the kills before the command first writes (model load, file reading); the rest just
    after one of the writes the clean run made (the k-th change to the file, k uniform, then up to 0.3 s).
    Counting writes rather than seconds keeps the kills inside the writing on a machine busier or quieter
    than it was for the clean run."""
    if rng.random() < 0.25:
        return KillPoint(rng.uniform(0, reference.first_write), after_first_write=False)
    return KillPoint(rng.uniform(0, 0.3), after_first_write=True, changes=rng.randint(1, reference.changes))


def same_state(found: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> list[str]:
    """Differences between two snapshots; log-likelihoods compared to 1e-4 (a resumed run batches differently)."""
    problems = []
    for table in ("runs", "questions"):
        if found[table] != expected[table]:
            problems.append(f"{table} differ: {len(found[table])} rows, clean run {len(expected[table])}")
    keys = [row[:3] for row in found["predictions"]]
    if len(keys) != len(set(keys)):
        problems.append(f"{len(keys) - len(set(keys))} predictions stored twice")
    expected_rows = {row[:3]: row for row in expected["predictions"]}
    found_rows = {row[:3]: row for row in found["predictions"]}
    if set(found_rows) != set(expected_rows):
        lost, extra = set(expected_rows) - set(found_rows), set(found_rows) - set(expected_rows)
        problems.append(f"{len(lost)} predictions lost, {len(extra)} extra (e.g. {sorted(lost or extra)[0]})")
    for key in set(found_rows) & set(expected_rows):
        (*_, pred, lls, status), (*_, clean_pred, clean_lls, clean_status) = found_rows[key], expected_rows[key]
        close = (lls is None) == (clean_lls is None) and all(
            math.isclose(a, b, abs_tol=1e-4) for a, b in zip(lls or [], clean_lls or [])
        )
        if (pred, status) != (clean_pred, clean_status) or not close:
            problems.append(f"{key}: pred {pred} {status} {lls}, clean run {clean_pred} {clean_status} {clean_lls}")
    return problems


def start_and_kill(launch, args: list[str], warehouse: Path, point: KillPoint, kill=None) -> tuple[float, bool]:
    """`launch(args)`, then kill -9 it at `point` (`kill(proc)`, default its own SIGKILL); returns the seconds
    from the start to the kill and whether it was still running then."""
    untouched = file_state(warehouse)
    started = time.monotonic()
    proc = launch(args)
    if point.after_first_write:
        seen, changes = untouched, 0
        while proc.poll() is None and changes < point.changes:
            if (now := file_state(warehouse)) != seen:
                seen, changes = now, changes + 1
            time.sleep(0.005)
    deadline = time.monotonic() + point.seconds if point.after_first_write else started + point.seconds
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    kill_after = time.monotonic() - started
    killed = proc.poll() is None
    if killed:
        (kill or (lambda running: running.send_signal(signal.SIGKILL)))(proc)
    proc.communicate()
    return kill_after, killed


def trial(args: list[str], warehouse: Path, reference: Reference, point: KillPoint) -> Trial:
    """Start `args` on `warehouse`, kill -9 it at `point`, run it again, compare with the reference."""
    before = snapshot(warehouse) if warehouse.exists() else None
    kill_after, killed = start_and_kill(start, args, warehouse, point)
    rows = prediction_rows(warehouse)
    problems = []
    if before is not None and warehouse.exists():  # rows that were there before the killed command
        after_kill = snapshot(warehouse)
        for table, rows_before in before.items():
            lost = {repr(row) for row in rows_before} - {repr(row) for row in after_kill[table]}
            if lost:
                problems.append(f"the kill lost {len(lost)} {table} rows that were there before")
    finish(args)
    problems += same_state(snapshot(warehouse), reference.state)
    return Trial(kill_after, rows, killed, problems)


def eval_trials(folder: Path, trials: int, seed: int, limit: int, done=None) -> tuple[Reference, list[Trial]]:
    """`trials` killed-and-resumed `medlb eval` runs, each on a fresh warehouse; `done(number, trial)`, where
    given, hears of each as it ends (a trial is two model loads: minutes on a busy machine)."""
    reference = clean_run(eval_args(folder / "clean.duckdb", limit), folder / "clean.duckdb")
    rng = random.Random(seed)
    results = []
    for number in range(trials):
        warehouse = folder / f"eval-{number}.duckdb"
        results.append(trial(eval_args(warehouse, limit), warehouse, reference, kill_point(rng, reference)))
        if done:
            done(number, results[-1])
    return reference, results


def resident_warehouse(path: Path) -> Path:
    """A warehouse that already holds a run (12 synthetic predictions): what an import must not disturb."""
    from tests.pipeline.bundles.synthetic import synthetic_questions, write_run

    write_run(path, 7, synthetic_questions(12), model="test/resident")
    return path


def transaction_trial(args: list[str], warehouse: Path, reference: Reference, timeout: float = 300) -> Trial:
    """Kill `args` inside its first write transaction (after its last statement, before the commit), then
    check that nothing of it is visible, that nothing recorded before is lost, and that a rerun gives the
    clean run's warehouse."""
    before = snapshot(warehouse)
    marker = warehouse.with_name(warehouse.name + ".inside")
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", HELD_BEFORE_COMMIT, str(marker), *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
    )
    while proc.poll() is None and not marker.exists() and time.monotonic() - started < timeout:
        time.sleep(0.01)
    killed = proc.poll() is None and marker.exists()
    proc.send_signal(signal.SIGKILL)
    _, stderr = proc.communicate()
    problems = [] if killed else [f"never reached the commit: {stderr[-500:]}"]
    after_kill = snapshot(warehouse)
    if after_kill != before:
        problems.append("a write killed before its commit changed the warehouse")
    finish(args)
    problems += same_state(snapshot(warehouse), reference.state)
    return Trial(time.monotonic() - started, prediction_rows(warehouse), killed, problems)


def import_trials(folder: Path, base: Path, trials: int, seed: int, done=None) -> tuple[Reference, list[Trial]]:
    """`trials` killed-and-resumed imports of the lm-eval fixture, each onto a copy of the `base` warehouse
    (one that already holds a run, so that a kill that lost recorded rows would show)."""
    clean = folder / "import-clean.duckdb"
    shutil.copy(base, clean)
    reference = clean_run(import_args(clean), clean)
    rng = random.Random(seed)
    results = []
    for number in range(trials):
        warehouse = folder / f"import-{number}.duckdb"
        shutil.copy(base, warehouse)
        results.append(trial(import_args(warehouse), warehouse, reference, kill_point(rng, reference)))
        if done:
            done(number, results[-1])
    return reference, results
