"""A pool of Ray actors, each hosting one backend, and the one dispatch loop every kind of work goes through.

The pool is a Backend (its `info` and the run's identity come from the actors), so the driver plans, registers
and writes exactly as a local run does. `run(work, units)` hands units to the actors: every actor has up to
two in flight, so it never waits for the driver, which writes each unit's results as they come back (one
short transaction per unit, so a killed driver loses at most the units in flight and a rerun resumes from the
warehouse). A unit whose actor raised or died goes back to the queue for another actor, up to `max_attempts`
tries in all; then `work.failed` gives its rows as failures, which a rerun retries, as a local run's are.
What a unit is (scoring, generation, judging) is pipeline/distributed/work.py's business.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tqdm import tqdm

from pipeline.distributed import actor as actor_tasks
from pipeline.distributed.actor import BackendActor
from pipeline.distributed.cluster import Cluster
from pipeline.distributed.units import Unit, pick_actor
from warehouse.errors import MedlbError

MAX_ATTEMPTS = 3
IN_FLIGHT_PER_ACTOR = 2  # one working, one queued behind it


class RayNotNeeded(MedlbError, ValueError):
    """--ray with a backend that does its own concurrency."""


class ActorsLost(MedlbError, RuntimeError):
    """Every actor died before the run's work was done."""


def refuse_server_backends(backend: str) -> None:
    """Before any Ray starts: only local models run in actors."""
    if backend != "transformers":
        raise RayNotNeeded(
            f"--ray runs local models in actors; the {backend} backend sends its requests to a server, "
            "whose --concurrency already scales (a vLLM or TGI deployment). Drop --ray."
        )


def log(message: str) -> None:
    tqdm.write(f"ray: {message}", file=sys.stderr)


@dataclass
class Work:
    """One kind of work: what an actor runs on a unit, and what the driver does with what comes back."""

    task: Callable  # task(backend, unit items, *shared) -> rows; a module-level function (work.py)
    shared: tuple  # the task's other arguments, the same for every unit: put in Ray's object store once
    write: Callable[[list], None]  # the driver writes one unit's rows
    failed: Callable[[Unit, str], list]  # the rows of a unit that failed max_attempts times, with the reason
    noun: str = "questions"  # for the log


@dataclass
class ActorStats:
    slot: int
    pid: int
    host: str
    units: int = 0
    done: int = 0
    busy_seconds: float = 0.0
    alive: bool = True

    def line(self, noun: str = "questions") -> str:
        rate = self.done / self.busy_seconds if self.busy_seconds else 0.0
        state = "" if self.alive else ", lost"
        return (
            f"actor {self.slot} (pid {self.pid} on {self.host}): {self.done} {noun} in {self.units} units, "
            f"{rate:.2f} {noun}/s while working{state}"
        )


class RayPool:
    """A Backend whose model lives in Ray actors. It owns its connection: close() ends both."""

    def __init__(
        self,
        backend: str,
        options: dict,
        cluster: Cluster,
        actors: int | None = None,
        cpus_per_actor: int = 1,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.ray, self.cluster = cluster.ray, cluster
        self.max_attempts = max_attempts
        options = dict(options)
        if cluster.gpus >= 1:
            resources = {"num_gpus": 1, "num_cpus": cpus_per_actor}
            options["device"] = "cuda" if options.get("device", "cpu") == "cpu" else options["device"]
            count = actors or int(cluster.gpus)
        else:
            resources = {"num_cpus": cpus_per_actor}
            count = actors or max(1, int(cluster.cpus // cpus_per_actor))
        if count * cpus_per_actor > cluster.cpus or count * resources.get("num_gpus", 0) > cluster.gpus:
            cluster.close()
            raise MedlbError(
                f"{count} actors of {resources} do not fit the Ray cluster ({cluster.cpus:g} CPUs, {cluster.gpus:g} "
                "GPUs); ask for fewer with --ray-actors or --ray-cpus-per-actor"
            )
        remote = self.ray.remote(max_restarts=0, max_task_retries=0, **resources)(BackendActor)
        log(f"starting {count} actors ({resources}) on a cluster of {cluster.cpus:g} CPUs, {cluster.gpus:g} GPUs")
        self.actors = [remote.remote(backend, options) for _ in range(count)]
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

    def loglikelihood(self, requests: Sequence) -> list:
        return self._spread(actor_tasks.loglikelihood, requests)

    def generate(self, requests: Sequence) -> list:
        return self._spread(actor_tasks.generate, requests)

    def _spread(self, task: Callable, requests: Sequence) -> list:
        """The requests split evenly over the actors, answers in request order (no retries: use run)."""
        share = -(-len(requests) // len(self.actors)) or 1
        parts = [requests[i : i + share] for i in range(0, len(requests), share)]
        answers = self.ray.get([actor.run.remote(task, part) for actor, part in zip(self.actors, parts)])
        return [one for part, _ in answers for one in part]

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.cluster.close()

    # ------------------------------------------------------------ the dispatch loop

    def run(self, work: Work, units: Sequence[Unit]) -> None:
        """Run every unit on the actors and hand each unit's rows to work.write as they come back."""
        pending = deque(units)
        shared = [self.ray.put(value) for value in work.shared]
        in_flight: dict = {}  # object ref -> (unit, actor slot)
        while pending or in_flight:
            self._dispatch(pending, in_flight, work.task, shared)
            if not in_flight:
                raise ActorsLost(
                    f"every Ray actor was lost ({'; '.join(pending[0].errors[-1:])}); what was done is written. "
                    "Rerun the same command to resume."
                )
            [ref], _ = self.ray.wait(list(in_flight), num_returns=1)
            unit, slot = in_flight.pop(ref)
            try:
                rows, seconds = self.ray.get(ref)
            except self.ray.exceptions.RayError as exc:
                rows = self._after_failure(unit, slot, exc, pending, work)
                if rows is None:
                    continue
            else:
                self.stats[slot].units += 1
                self.stats[slot].done += len(rows)
                self.stats[slot].busy_seconds += seconds
            work.write(rows)
        for stats in self.stats:
            log(stats.line(work.noun))

    def _dispatch(self, pending: deque, in_flight: dict, task: Callable, shared: list) -> None:
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
            in_flight[self.actors[slot].run.remote(task, unit.items, *shared)] = (unit, slot)

    def _after_failure(self, unit: Unit, slot: int, exc, pending: deque, work: Work) -> list | None:
        """Requeue the unit (None), or, after max_attempts tries, its rows as failures."""
        if isinstance(exc, self.ray.exceptions.RayActorError) and self.stats[slot].alive:
            self.stats[slot].alive = False
            log(f"lost {self.stats[slot].line(work.noun)}")
        reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
        unit.attempts += 1
        unit.failed_on.add(slot)
        unit.errors.append(reason)
        if unit.attempts < self.max_attempts:
            log(f"unit {unit.index} ({len(unit)} {work.noun}) failed on actor {slot}: {reason}; retrying elsewhere")
            pending.appendleft(unit)
            return None
        log(f"unit {unit.index} failed {unit.attempts} times; its {len(unit)} {work.noun} are recorded as failed")
        return work.failed(unit, reason)
