"""Where the actors run: an existing Ray cluster (`--ray ADDRESS`), or a Ray instance started here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType

from warehouse.errors import MedlbError

# A local instance holds predictions only briefly: a small object store instead of Ray's 30% of RAM.
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024


class RayMissing(MedlbError, ImportError):
    """`--ray` without the optional extra installed."""


class RayUnreachable(MedlbError, ConnectionError):
    """No Ray cluster answers at the given address."""


def import_ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        raise RayMissing("--ray needs Ray: pip install 'medlb[ray]' (or pip install ray==2.60.0)") from None
    return ray


@dataclass
class Cluster:
    ray: ModuleType
    started_here: bool  # a local instance this process started, and shuts down at the end
    cpus: float
    gpus: float

    def close(self) -> None:
        if self.started_here:
            self.ray.shutdown()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect(address: str | None) -> Cluster:
    """Join the cluster at `address` ("auto": $RAY_ADDRESS or the one running here), or start a local
    instance when `address` is None. A process already connected (ray.init called) keeps its cluster."""
    ray = import_ray()
    started_here = False
    if not ray.is_initialized():
        quiet = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        try:
            if address is None:
                # Ray's metrics agent is slow to start on a loaded machine, and the raylet gives up on it after
                # 30 s; a local instance has no Prometheus to report to anyway.
                os.environ.setdefault("RAY_enable_metrics_collection", "0")
                ray.init(object_store_memory=LOCAL_OBJECT_STORE_BYTES, **quiet)
                started_here = True
            else:
                ray.init(address=address, **quiet)
        except ConnectionError as exc:
            raise RayUnreachable(
                f"no Ray cluster at {address!r} ({exc}). Start one with `ray start --head` and pass the address "
                "it prints, or use --ray without an address to start a local instance."
            ) from exc
    resources = ray.cluster_resources()
    return Cluster(ray, started_here, resources.get("CPU", 0.0), resources.get("GPU", 0.0))
