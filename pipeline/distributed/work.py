"""The three kinds of work a RayPool does, each the Ray twin of a local loop, writing through the local write path:

    scoring     pipeline.run's _score_all        units of (question, variant) items -> predictions
    generation  pipeline.generation's _generate_all   units of open questions -> answers (warehouse/judged.py)
    judging     pipeline.judging.judge's _judge_all   units of (answer, statement, relation) pairs -> verdicts

Each `*_all` takes its local twin's arguments after the pool (functools.partial binds it). A task (what an
actor runs on a unit) calls the very function the local loop calls. Generation and judging units are the
local loop's batches (batch_size consecutive items, in plan order), so each answer and verdict is computed in
the same padded batch as in a local run. A unit that failed on every try is written as the local loop writes
a failure (status or verdict "failed", the reason kept), so a rerun retries it.
"""

from __future__ import annotations

from collections.abc import Sequence

from tqdm import tqdm

from pipeline import prompts
from pipeline.backends.base import Generation, Scores
from pipeline.distributed.pool import IN_FLIGHT_PER_ACTOR, RayPool, Work
from pipeline.distributed.units import Unit, split_units
from pipeline.generation import Sampling, generate_batch, generation_row, requests_for, write_answers
from pipeline.judging.judge import Judge, Pair, write_verdicts
from pipeline.run import Item, PredictionSink, decide, score_items
from warehouse.records import Prediction

# ------------------------------------------------------------ what an actor runs on one unit


def score_task(backend, items: Sequence[Item], run_id: str, shots: dict) -> list[Prediction]:
    return score_items(backend, run_id, items, shots)


def generate_task(backend, items: Sequence, run_id: str, sampling: Sampling) -> list[dict]:
    return generate_batch(backend, run_id, items, sampling)


def judge_task(backend, pairs: Sequence[Pair], mode: str, version_id: str, max_new_tokens: int) -> list[dict]:
    """The driver's judge, rebuilt around this actor's backend (same version, mode and prompts: same judge id)."""
    return Judge(backend, mode, version_id, max_new_tokens).judge(pairs)


# ------------------------------------------------------------ the driver's loops


def score_all(
    pool: RayPool,
    backend,
    path,
    run_id: str,
    todo,
    shots,
    batch_size: int,
    progress: bool,
    written=None,
    unit_size=None,
) -> int:
    """pipeline.run._score_all's contract: score `todo`, write every prediction, return how many failed."""
    sink = PredictionSink(path, run_id, len(todo), f"evaluating on {len(pool.actors)} Ray actors", progress, written)
    units = split_units(todo, unit_size or default_unit_size(len(todo), batch_size, len(pool.actors)))
    failed = lambda unit, reason: failed_predictions(run_id, unit, shots, reason)  # noqa: E731
    pool.run(Work(score_task, (run_id, shots), sink.write, failed), units)
    return sink.close()


def default_unit_size(n_items: int, batch_size: int, n_actors: int) -> int:
    """A model batch per unit, smaller when that would leave actors idle (two units in flight per actor)."""
    return max(1, min(batch_size, -(-n_items // (IN_FLIGHT_PER_ACTOR * n_actors))))


def failed_predictions(run_id: str, unit: Unit, shots, reason: str) -> list[Prediction]:
    """Rows a rerun retries, shaped as a local run's failures (pipeline.run.decide with status failed)."""
    failed = Scores(loglikelihoods=(), status="failed", raw_output=f"ray: {reason}")
    return [
        decide(run_id, item, prompts.build_request(item.question, shots[item.question.task]), failed)
        for item in unit.items
    ]


def generate_all(
    pool: RayPool, backend, path, run_id: str, todo, sampling: Sampling, batch_size: int, progress: bool
) -> int:
    """pipeline.generation._generate_all's contract: answer `todo`, write every answer, return how many failed."""
    counted = Counted(f"generating on {len(pool.actors)} Ray actors", "answer", len(todo), progress)

    def write(rows: list[dict]) -> None:
        counted.add(rows, write_answers(path, run_id, rows))

    def failed(unit: Unit, reason: str) -> list[dict]:
        answer = Generation(text=f"ray: {reason}", status="failed")
        return [generation_row(run_id, i, r, answer) for i, r in zip(unit.items, requests_for(unit.items, sampling))]

    pool.run(Work(generate_task, (run_id, sampling), write, failed, "answers"), split_units(todo, batch_size))
    return counted.close()


def judge_all(pool: RayPool, path, judge: Judge, run_id: str, todo, batch_size: int, progress: bool) -> None:
    """pipeline.judging.judge._judge_all's contract: judge `todo` and write every verdict."""
    counted = Counted(f"judging ({judge.mode}) on {len(pool.actors)} Ray actors", "verdict", len(todo), progress)

    def write(rows: list[dict]) -> None:
        write_verdicts(path, judge, run_id, rows)
        counted.add(rows, sum(r["verdict"] == "failed" for r in rows))

    failed = lambda unit, reason: judge.failed(unit.items, f"ray: {reason}")  # noqa: E731
    shared = (judge.mode, judge.version_id, judge.max_new_tokens)
    pool.run(Work(judge_task, shared, write, failed, "verdicts"), split_units(todo, batch_size))
    counted.close()


class Counted:
    """One progress bar over a run's units, and the count of failed rows."""

    def __init__(self, desc: str, unit: str, total: int, progress: bool) -> None:
        self.n_failed = 0
        self.bar = tqdm(total=total, unit=unit, desc=desc, disable=not progress or not total)

    def add(self, rows: list, n_failed: int) -> None:
        self.n_failed += n_failed
        self.bar.update(len(rows))

    def close(self) -> int:
        self.bar.close()
        return self.n_failed
