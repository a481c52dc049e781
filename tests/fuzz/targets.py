"""The fuzz targets of tests/fuzz/, for speed/fuzz_inputs.py: each one's input strategy and its check.

`session(folder)` sets up what the target's checks share (a template warehouse, a fixture copy) and yields
the check: a function from one input to the property's violations (an empty list: the property holds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from tests.fixtures.builder import empty_warehouse


@dataclass(frozen=True)
class Target:
    name: str
    cases: Callable[[], st.SearchStrategy]
    session: Callable[[Path], AbstractContextManager[Callable[[object], list[str]]]]
    cost: int = 1  # the runner tries examples // cost inputs (an AppTest run costs ~10 loader cases)


@contextmanager
def _loaders(folder: Path) -> Iterator[Callable[[object], list[str]]]:
    from tests.fuzz import test_benchmark_loaders as loaders

    template = empty_warehouse(folder / "empty.duckdb")
    yield lambda case: loaders.check(case, template)


def _loader_cases():
    from tests.fuzz.test_benchmark_loaders import loader_cases

    return loader_cases()


@contextmanager
def _lm_eval(folder: Path) -> Iterator[Callable[[object], list[str]]]:
    from tests.fuzz import test_lm_eval_import as lm_eval

    template = empty_warehouse(folder / "empty.duckdb")
    yield lambda case: lm_eval.check(case, template)


def _lm_eval_cases():
    from tests.fuzz.test_lm_eval_import import import_cases

    return import_cases()


@contextmanager
def _bundles(folder: Path) -> Iterator[Callable[[object], list[str]]]:
    from tests.fuzz import test_bundle_import as bundles

    yield bundles.check


def _bundle_cases():
    from tests.fuzz.test_bundle_import import bundle_cases

    return bundle_cases()


@contextmanager
def _dashboard(folder: Path) -> Iterator[Callable[[object], list[str]]]:
    from tests.fixtures.warehouse import build_fixture_warehouse
    from tests.fuzz import test_dashboard_urls as dashboard

    warehouse = build_fixture_warehouse(folder / "fixture.duckdb")
    yield lambda case: dashboard.check(case, warehouse)


def _url_cases():
    from tests.fuzz.test_dashboard_urls import url_cases

    return url_cases()


TARGETS: dict[str, Target] = {
    "loaders": Target("loaders", _loader_cases, _loaders),
    "lm_eval": Target("lm_eval", _lm_eval_cases, _lm_eval),
    "bundles": Target("bundles", _bundle_cases, _bundles),
    "dashboard": Target("dashboard", _url_cases, _dashboard, cost=10),
}
