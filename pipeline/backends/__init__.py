"""Backends are imported lazily by name, so importing the pipeline never imports torch."""
from __future__ import annotations

import importlib
from typing import Any

from pipeline.backends.base import Backend, BackendError

# name -> "module:factory"; the factory takes keyword options and returns a Backend.
REGISTRY = {
    "transformers": "pipeline.backends.hf:create_backend",
    "openai": "pipeline.backends.openai_api:create_backend",
}


def create_backend(name: str, **options: Any) -> Backend:
    if name not in REGISTRY:
        raise BackendError(f"unknown backend {name!r}; choose one of: {', '.join(sorted(REGISTRY))}")
    module_name, factory = REGISTRY[name].split(":")
    module = importlib.import_module(module_name)
    return getattr(module, factory)(**options)


__all__ = ["Backend", "BackendError", "REGISTRY", "create_backend"]
