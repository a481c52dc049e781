"""The statements of `medlb export` and `medlb import`: run bundles as Parquet, and lm-eval runs.

Every function takes an open connection: a reader for export, and for the rest the writer that
warehouse.db.execute_write hands its function, so one bundle (or one lm-eval import) is one
transaction. Bundle files are written with COPY and read with read_parquet by DuckDB itself: the
rows never pass through Python. Each statement is one file in warehouse/sql/imports/, run with bind
parameters; the functions here decide nothing, pipeline.bundles and pipeline.importers do.
"""
from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse import writer
from warehouse.db import run_sql

SQL_DIR = Path(__file__).parent / "sql" / "imports"
BUNDLE_TABLES = ("runs", "models", "model_versions", "benchmarks", "questions", "predictions")
# Rows of these tables that a bundle shares with others (a model, its version, a task) are kept as found.
REFERENCE_TABLES = ("models", "model_versions", "benchmarks")


@functools.cache
def _statement(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _run(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[tuple]:
    return run_sql(con, _statement(name), params)


def _records(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    """Rows as dicts by column name, for statements whose columns depend on the file read."""
    cursor = con.execute(_statement(name), params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _bundle_table(table: str) -> str:
    if table not in BUNDLE_TABLES:
        raise ValueError(f"not a bundle table: {table!r}")
    return table


# ---------------------------------------------------------------- export


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    return _run(con, "schema_version", {})[0][0]


def run_version(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The run's model version, or None when this warehouse has no such run."""
    found = _run(con, "run_version", {"run_id": run_id})
    return found[0][0] if found else None


def export_table(con: duckdb.DuckDBPyConnection, table: str, run_id: str, file: Path) -> int:
    """Write the run's rows of `table` to the Parquet file; returns how many."""
    return _run(con, f"export_{_bundle_table(table)}", {"run_id": run_id, "file": str(file)})[0][0]


# ---------------------------------------------------------------- reading a bundle's files


def parquet_rows(con: duckdb.DuckDBPyConnection, file: Path) -> int:
    return _run(con, "bundle_rows", {"file": str(file)})[0][0]


def column_mismatches(con: duckdb.DuckDBPyConnection, table: str, file: Path) -> list[tuple[str, str | None, str | None]]:
    """(column, type in the file, type the table has) for each column the table cannot take as it is."""
    return _run(con, "bundle_columns", {"file": str(file), "table": _bundle_table(table)})


def repeated_keys(con: duckdb.DuckDBPyConnection, file: Path, keys: tuple[str, ...]) -> int:
    return _run(con, "bundle_repeated_keys", {"file": str(file), "keys": list(keys)})[0][0]


def bundle_links(con: duckdb.DuckDBPyConnection, run_id: str, files: dict[str, Path]) -> dict:
    """Facts on whether the files describe the one run and all it points at (see bundle_links.sql)."""
    params = {"run_id": run_id} | {table: str(files[table]) for table in BUNDLE_TABLES}
    return _records(con, "bundle_links", params)[0]


def bundle_answers(con: duckdb.DuckDBPyConnection, file: Path) -> list[dict]:
    """Each prediction's row_number, question_id, variant, pred, pred_set (where kept), golds, correct."""
    return _records(con, "bundle_answers", {"file": str(file)})


def question_clashes(con: duckdb.DuckDBPyConnection, file: Path) -> list[str]:
    """Question ids in the file that this warehouse holds with other content."""
    return [question_id for (question_id,) in _run(con, "bundle_question_clashes", {"file": str(file)})]


# ---------------------------------------------------------------- merging a bundle


def insert_reference_rows(con: duckdb.DuckDBPyConnection, table: str, file: Path) -> int:
    if table not in REFERENCE_TABLES:
        raise ValueError(f"not a table of shared rows: {table!r}")
    return _run(con, f"insert_{table}", {"file": str(file)})[0][0]


def insert_new_questions(con: duckdb.DuckDBPyConnection, file: Path) -> int:
    return _run(con, "insert_new_questions", {"file": str(file)})[0][0]


def insert_run(con: duckdb.DuckDBPyConnection, file: Path) -> None:
    _run(con, "insert_run", {"file": str(file)})


def widen_run(con: duckdb.DuckDBPyConnection, file: Path) -> None:
    _run(con, "widen_run", {"file": str(file)})


def merge_predictions(con: duckdb.DuckDBPyConnection, run_id: str, file: Path, run_is_new: bool) -> int:
    """The run's predictions from the file; returns how many were added.

    Into a run already here, an answered row replaces a failed one (a retry done elsewhere) and rows
    present are kept. The leaderboard's counts (prediction_counts) are then recounted for the run.
    """
    if run_is_new:
        added = _run(con, "insert_run_predictions", {"file": str(file)})[0][0]
    else:
        _run(con, "drop_answered_failures", {"file": str(file), "run_id": run_id})
        added = _run(con, "insert_new_predictions", {"file": str(file)})[0][0]
    writer.recount_runs(con, [run_id])
    return added


def finish_merged_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    _run(con, "finish_merged_run", {"run_id": run_id})


# ---------------------------------------------------------------- lm-eval


def set_run_times(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime, finished_at: datetime) -> None:
    _run(con, "set_run_times", {"run_id": run_id, "started_at": started_at, "finished_at": finished_at})
