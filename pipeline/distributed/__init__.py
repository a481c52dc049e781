"""`medlb eval|judge|judge-check --ray [ADDRESS]`: the same runs, done by Ray actors on one machine or a cluster.

The driver plans exactly as a local run does (same run id, same missing questions, answers or pairs) and
stays the warehouse's one writer: DuckDB allows one writer process, so actors only load the model once each
and turn units of work into rows that stream back.

    cluster.py  connect to a cluster, or start a local Ray instance
    units.py    the missing items split into units, with their retry bookkeeping
    actor.py    what runs inside a Ray worker: one backend, many units of any kind of work
    pool.py     the actors, the one dispatch loop (retries, per-actor throughput)
    work.py     the three kinds of work (scoring, generation, judging) and their writes
    runs.py     the entry points: evaluate_on_ray, generate_on_ray, ray_judge

Ray is the optional extra `medlb[ray]`; nothing here imports it until a Ray run starts.
"""

from __future__ import annotations

from pipeline.distributed.pool import RayNotNeeded
from pipeline.distributed.runs import evaluate_on_ray, generate_on_ray, ray_judge

__all__ = ["RayNotNeeded", "evaluate_on_ray", "generate_on_ray", "ray_judge"]
