"""Ray actors behind pipeline.run.evaluate: the pool is the run's Backend, and score_all its scoring loop.

Each actor loads the model once (num_gpus=1 on a cluster with GPUs, else `cpus_per_actor` CPUs) and
scores units of consecutive items. Every actor has up to two units in flight, so it never waits for
the driver, which writes each unit's predictions as it comes back (one short transaction per unit,
so a killed driver loses at most the units in flight and a rerun resumes from the warehouse). A unit
whose actor raised or died goes back to the queue for another actor, up to `max_attempts` tries in
all; then its items are written as failed predictions (the reason in raw_output), which a rerun
retries, as a local run's failures are.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass

from tqdm import tqdm

from pipeline import prompts
from pipeline.backends.base import Request, Scores
from pipeline.distributed.actor import ScoringActor
from pipeline.distributed.cluster import Cluster, connect
from pipeline.distributed.units import Unit, pick_actor, split_units
from pipeline.run import EvalConfig, EvalResult, PredictionSink, backend_options, decide, evaluate
from warehouse.errors import MedlbError
from warehouse.records import Prediction

MAX_ATTEMPTS = 3
IN_FLIGHT_PER_ACTOR = 2  # one scoring, one queued behind it


class RayNotNeeded(MedlbError, ValueError):
    """--ray with a backend that does its own concurrency."""


class ActorsLost(MedlbError, RuntimeError):
    """Every actor died before the run's work was done."""


def log(message: str) -> None:
    tqdm.write(f"ray: {message}", file=sys.stderr)


@dataclass
class ActorStats:
    slot: int
    pid: int
    host: str
    units: int = 0
    questions: int = 0
    busy_seconds: float = 0.0
    alive: bool = True

    def line(self) -> str:
        rate = self.questions / self.busy_seconds if self.busy_seconds else 0.0
        state = "" if self.alive else ", lost"
        return (
            f"actor {self.slot} (pid {self.pid} on {self.host}): {self.questions} questions in {self.units} units, "
            f"{rate:.2f} q/s while scoring{state}"
        )


class RayPool:
    """A Backend whose model lives in Ray actors; `info` and the run's identity come from the actors."""

    def __init__(
        self,
        config: EvalConfig,
        cluster: Cluster,
        actors: int | None = None,
        cpus_per_actor: int = 1,
        max_attempts: int = MAX_ATTEMPTS,
        unit_size: int | None = None,
    ) -> None:
        self.ray = cluster.ray
        self.max_attempts = max_attempts
        self.unit_size = unit_size
        options = backend_options(config)
        if cluster.gpus >= 1:
            resources = {"num_gpus": 1, "num_cpus": cpus_per_actor}
            options["device"] = "cuda" if config.device == "cpu" else config.device
            count = actors or int(cluster.gpus)
        else:
            resources = {"num_cpus": cpus_per_actor}
            count = actors or max(1, int(cluster.cpus // cpus_per_actor))
        if count * cpus_per_actor > cluster.cpus or count * resources.get("num_gpus", 0) > cluster.gpus:
            raise MedlbError(
                f"{count} actors of {resources} do not fit the Ray cluster ({cluster.cpus:g} CPUs, {cluster.gpus:g} "
                "GPUs); ask for fewer with --ray-actors or --ray-cpus-per-actor"
            )
        remote = self.ray.remote(max_restarts=0, max_task_retries=0, **resources)(ScoringActor)
        log(f"starting {count} actors ({resources}) on a cluster of {cluster.cpus:g} CPUs, {cluster.gpus:g} GPUs")
        self.actors = [remote.remote(config.backend, options) for _ in range(count)]
        described = self._describe_all()
        first = described[0]
        self.info = first["info"]
        self.scoring_mode = first["scoring_mode"]
        self.identity_settings = first["identity_settings"]
        self.stats = [ActorStats(slot, d["pid"], d["host"]) for slot, d in enumerate(described)]

    def _describe_all(self) -> list[dict]:
        """Wait for every actor's model; all must have loaded the very same weights."""
        try:
            described = self.ray.get([actor.describe.remote() for actor in self.actors])
        except self.ray.exceptions.RayError as exc:
            self.close()
            cause = getattr(exc, "cause", None)
            if isinstance(cause, MedlbError):  # the user's input (unknown model, bad option): its own message
                raise cause from None
            raise MedlbError(f"a Ray actor could not load the model: {exc}") from exc
        versions = {(d["info"].name, d["info"].revision) for d in described}
        if len(versions) > 1:
            self.close()
            raise MedlbError(
                f"the Ray actors loaded different weights {sorted(versions)}; install the same model on every node"
            )
        return described

    # ------------------------------------------------------------ the Backend protocol

    def loglikelihood(self, requests: list[Request]) -> list[Scores]:
        """The requests split evenly over the actors, answers in request order."""
        share = -(-len(requests) // len(self.actors)) or 1
        parts = [requests[i : i + share] for i in range(0, len(requests), share)]
        answers = self.ray.get([actor.loglikelihood.remote(part) for actor, part in zip(self.actors, parts)])
        return [scores for part in answers for scores in part]

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)

    # ------------------------------------------------------------ the scoring loop

    def score_all(self, backend, path, run_id: str, todo, shots, batch_size: int, progress: bool, written=None) -> int:
        """pipeline.run._score_all's contract: score `todo`, write every prediction, return how many failed."""
        pending = deque(split_units(todo, self.unit_size or self.default_unit_size(len(todo), batch_size)))
        shots_ref = self.ray.put(shots)
        in_flight: dict = {}  # object ref -> (unit, actor slot)
        sink = PredictionSink(
            path, run_id, len(todo), f"evaluating on {len(self.actors)} Ray actors", progress, written
        )
        while pending or in_flight:
            self._dispatch(pending, in_flight, run_id, shots_ref)
            if not in_flight:
                raise ActorsLost(
                    f"every Ray actor was lost ({'; '.join(pending[0].errors[-1:])}); what was scored is written. "
                    "Rerun the same command to resume."
                )
            [ref], _ = self.ray.wait(list(in_flight), num_returns=1)
            unit, slot = in_flight.pop(ref)
            try:
                predictions, seconds = self.ray.get(ref)
            except self.ray.exceptions.RayError as exc:
                predictions = self._after_failure(unit, slot, exc, pending, run_id, shots)
                if predictions is None:
                    continue
            else:
                self.stats[slot].units += 1
                self.stats[slot].questions += len(predictions)
                self.stats[slot].busy_seconds += seconds
            sink.write(predictions)
        n_failed = sink.close()
        for stats in self.stats:
            log(stats.line())
        return n_failed

    def default_unit_size(self, n_items: int, batch_size: int) -> int:
        """A model batch per unit, smaller when that would leave actors idle (two units in flight per actor)."""
        return max(1, min(batch_size, -(-n_items // (IN_FLIGHT_PER_ACTOR * len(self.actors)))))

    def _dispatch(self, pending: deque, in_flight: dict, run_id: str, shots_ref) -> None:
        """Give units to live actors with room, the least busy first."""
        while pending:
            load = {s.slot: 0 for s in self.stats if s.alive}
            for _, slot in in_flight.values():
                if slot in load:  # a lost actor's units stay in flight until their error is read
                    load[slot] += 1
            free = sorted((slot for slot, n in load.items() if n < IN_FLIGHT_PER_ACTOR), key=load.get)
            slot = pick_actor(pending[0], free, list(load))
            if slot is None:
                return
            unit = pending.popleft()
            ref = self.actors[slot].score.remote(run_id, unit.items, shots_ref)
            in_flight[ref] = (unit, slot)

    def _after_failure(self, unit: Unit, slot: int, exc, pending: deque, run_id: str, shots) -> list[Prediction] | None:
        """Requeue the unit (None), or, after max_attempts tries, its items as failed predictions."""
        if isinstance(exc, self.ray.exceptions.RayActorError) and self.stats[slot].alive:
            self.stats[slot].alive = False
            log(f"lost {self.stats[slot].line()}")
        reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
        unit.attempts += 1
        unit.failed_on.add(slot)
        unit.errors.append(reason)
        if unit.attempts < self.max_attempts:
            log(f"unit {unit.index} ({len(unit)} questions) failed on actor {slot}: {reason}; retrying elsewhere")
            pending.appendleft(unit)
            return None
        log(f"unit {unit.index} failed {unit.attempts} times; its {len(unit)} questions are recorded as failed")
        return failed_predictions(run_id, unit, shots, reason)


def failed_predictions(run_id: str, unit: Unit, shots, reason: str) -> list[Prediction]:
    """Rows a rerun retries, shaped as a local run's failures (pipeline.run.decide with status failed)."""
    failed = Scores(loglikelihoods=(), status="failed", raw_output=f"ray: {reason}")
    return [
        decide(run_id, item, prompts.build_request(item.question, shots[item.question.task]), failed)
        for item in unit.items
    ]


def evaluate_on_ray(
    config: EvalConfig,
    address: str | None = None,
    actors: int | None = None,
    cpus_per_actor: int = 1,
    progress: bool = True,
    unit_size: int | None = None,
    on_progress=None,
) -> EvalResult:
    """pipeline.run.evaluate with the scoring done by a pool of Ray actors; `address` None starts Ray here."""
    if config.backend != "transformers":
        raise RayNotNeeded(
            f"--ray runs local models in actors; the {config.backend} backend sends its requests to a server, "
            "whose --concurrency already scales (a vLLM or TGI deployment). Drop --ray."
        )
    cluster = connect(address)
    try:
        pool = RayPool(config, cluster, actors=actors, cpus_per_actor=cpus_per_actor, unit_size=unit_size)
        try:
            return evaluate(config, backend=pool, progress=progress, score_all=pool.score_all, on_progress=on_progress)
        finally:
            pool.close()
    finally:
        cluster.close()
