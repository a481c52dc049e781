"""Backends are imported lazily by name, so importing the pipeline never imports torch."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
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
    module_name, factory_name = REGISTRY[name].split(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    check_options(name, factory, options)
    return factory(**options)


def check_options(name: str, factory: Callable[..., Backend], options: dict[str, Any]) -> None:
    """An option the backend does not take is a mistake (a typo, or meant for the other backend): say so."""
    valid = sorted(inspect.signature(factory).parameters)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise BackendError(
            f"the {name} backend has no option {', '.join(map(repr, unknown))}; its options are: {', '.join(valid)}"
        )


__all__ = ["REGISTRY", "Backend", "BackendError", "create_backend"]
