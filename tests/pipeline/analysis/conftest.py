"""Shared fixtures for the analysis tests: real benchmark questions and a way to run the analysis SQL."""

from __future__ import annotations

import pytest

from pipeline.benchmarks import load_questions
from warehouse.records import Question


@pytest.fixture(scope="session")
def medqa_test() -> list[Question]:
    """The 1273 MedQA test vignettes in file order: medqa_test[i] is line i of phrases_no_exclude_test.jsonl."""
    return load_questions("medqa_4options")


@pytest.fixture(scope="session")
def frenchmedmcqa_test() -> list[Question]:
    return load_questions("frenchmedmcqa")
