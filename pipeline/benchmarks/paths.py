"""Where the vendored benchmark files live. Its own module so that every task module can import it
without importing the registry (which imports the task modules)."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
VENDORED_PREFIX = "pipeline/benchmarks/data"  # TaskInfo.source of a vendored file: its path in the repository


def data_file(relative_path: str) -> Path:
    """A vendored file by its path under DATA_DIR, read at call time so a test can point DATA_DIR elsewhere."""
    return DATA_DIR / relative_path
