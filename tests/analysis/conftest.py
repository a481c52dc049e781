"""Shared fixtures for the analysis tests: real benchmark questions and a way to run the analysis SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.benchmarks import load_questions
from warehouse.records import Question

QUERIES = Path(__file__).resolve().parents[2] / "warehouse" / "queries"


@pytest.fixture(scope="session")
def medqa_test() -> list[Question]:
    """The 1273 MedQA test vignettes in file order: medqa_test[i] is line i of phrases_no_exclude_test.jsonl."""
    return load_questions("medqa_4options")


@pytest.fixture(scope="session")
def frenchmedmcqa_test() -> list[Question]:
    return load_questions("frenchmedmcqa")


def run_query(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> pl.DataFrame:
    """Run warehouse/queries/<name>.sql with named parameters, as warehouse.queries does for the app.
    (con.sql(...).pl(): DuckDB 2.0's execute() result has no .pl().)"""
    sql = (QUERIES / f"{name}.sql").read_text(encoding="utf-8")
    return con.sql(sql, params=params).pl()
