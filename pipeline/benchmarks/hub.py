"""Fetching the Hugging Face hub copies that lm-evaluation-harness reads, through huggingface_hub's cache.

Each dataset is pinned to a revision constant in its source module; the cache is huggingface_hub's own
(`cache_dir` overrides it), so a file fetched once is read offline afterwards with HF_HUB_OFFLINE=1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.benchmarks.errors import HubUnavailable

REPO_TYPE = "dataset"


@dataclass(frozen=True)
class HubDataset:
    repo_id: str
    revision: str  # a commit sha where one could be verified; a branch name otherwise (see the source module)
    config: str | None = None

    def at(self, revision: str | None) -> HubDataset:
        return HubDataset(self.repo_id, revision or self.revision, self.config)

    def uri(self, path: str = "") -> str:
        return f"hf://datasets/{self.repo_id}@{self.revision}" + (f"/{path}" if path else "")


def offline() -> bool:
    """Read at call time: huggingface_hub reads HF_HUB_OFFLINE only once, when it is imported."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def fetch_file(dataset: HubDataset, filename: str, cache_dir: str | Path | None = None) -> Path:
    from huggingface_hub import hf_hub_download

    try:
        return Path(
            hf_hub_download(
                dataset.repo_id,
                filename,
                repo_type=REPO_TYPE,
                revision=dataset.revision,
                cache_dir=cache_dir,
                local_files_only=offline(),
            )
        )
    except Exception as error:  # huggingface_hub raises many types; map them to one actionable error
        raise _unavailable(dataset, filename, cache_dir, error) from error


def fetch_snapshot(dataset: HubDataset, allow_patterns: list[str], cache_dir: str | Path | None = None) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(
            snapshot_download(
                dataset.repo_id,
                repo_type=REPO_TYPE,
                revision=dataset.revision,
                cache_dir=cache_dir,
                allow_patterns=allow_patterns,
                local_files_only=offline(),
            )
        )
    except Exception as error:
        raise _unavailable(dataset, " ".join(allow_patterns), cache_dir, error) from error


def _unavailable(dataset: HubDataset, what: str, cache_dir: str | Path | None, error: Exception) -> HubUnavailable:
    from huggingface_hub.errors import LocalEntryNotFoundError, RemoteEntryNotFoundError, RevisionNotFoundError

    where = f"{dataset.repo_id}@{dataset.revision} ({what})"
    cache = str(cache_dir) if cache_dir else "the default huggingface_hub cache (HF_HUB_CACHE)"
    if isinstance(error, RevisionNotFoundError):
        return HubUnavailable(
            f"revision {dataset.revision!r} of {dataset.repo_id} does not exist on the hub; "
            "pass another revision= or use source='local'"
        )
    if isinstance(error, RemoteEntryNotFoundError):
        return HubUnavailable(
            f"{where} is not in that hub revision; pass the revision that has it or use source='local'"
        )
    if isinstance(error, LocalEntryNotFoundError) or isinstance(error, (ConnectionError, OSError)):
        return HubUnavailable(
            f"cannot fetch {where}: the Hugging Face hub is unreachable and the file is not in {cache}. "
            "Use source='local' for the vendored copy, or fetch it once where the hub is reachable "
            "and then set HF_HUB_OFFLINE=1 to read it from the cache."
        )
    return HubUnavailable(
        f"cannot fetch {where}: {type(error).__name__}: {error}. Use source='local' for the vendored copy."
    )
