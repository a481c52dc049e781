"""`medlb eval --ray [ADDRESS]`: the same run, scored by Ray actors on one machine or a cluster.

The driver plans exactly as a local run does (pipeline.run.evaluate: same run id, same missing
(question, variant) pairs) and stays the warehouse's one writer: DuckDB allows one writer process, so
actors only load the model once each and turn units of work into predictions that stream back.

    cluster.py  connect to a cluster, or start a local Ray instance
    units.py    the missing items split into units, with their retry bookkeeping
    actor.py    what runs inside a Ray worker: one model, many units
    pool.py     the actors, the dispatch loop (retries, one progress bar, per-actor throughput)

Ray is the optional extra `medlb[ray]`; nothing here imports it until a Ray run starts.
"""

from __future__ import annotations

from pipeline.distributed.pool import RayNotNeeded, evaluate_on_ray

__all__ = ["RayNotNeeded", "evaluate_on_ray"]
