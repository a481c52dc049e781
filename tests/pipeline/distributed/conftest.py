"""One local Ray instance (2 CPUs) for the whole session: starting Ray costs 15-30 s on 2 cores."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def ray_cluster():
    """The address of a Ray instance this test process is connected to (pipeline.distributed reuses it)."""
    import ray  # pinned in requirements.lock.txt: a missing ray fails here rather than skipping

    os.environ.setdefault("RAY_enable_metrics_collection", "0")  # see pipeline/distributed/cluster.py
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=128 * 1024 * 1024)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()
