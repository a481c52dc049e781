"""The statements of `medlb export` and `medlb import`: run bundles as Parquet, and lm-eval runs.

Every function takes an open connection: a reader for export, and for the rest the writer that
warehouse.db.execute_write hands its function, so one bundle (or one lm-eval import) is one
transaction. Bundle files are written with COPY and read with read_parquet by DuckDB itself: the
rows never pass through Python. Runs known only by their scores (lm-eval results without samples,
scores reported in papers: migration 010) are written by write_summary_run. Each statement is one file in warehouse/sql/imports/, run with bind
parameters; the functions here decide nothing, pipeline.bundles and pipeline.importers do.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

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


@dataclass
class ImportReport:
    """What an import did, for the CLI to print and tests to check: counts, skips and refusals. It lives
    here, below both importers (pipeline.bundles, pipeline.importers), so neither imports the other."""

    runs_added: int = 0
    predictions_added: int = 0
    duplicates: int = 0  # predictions (or whole runs' rows) already in the warehouse: nothing written
    skipped_tasks: list[str] = field(default_factory=list)  # tasks the warehouse does not know
    unmatched_samples: int = 0  # samples that match no known question by content
    unmatched_by_task: dict[str, int] = field(default_factory=dict)
    refused: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason): nothing written from it
    warnings: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)  # every run the import touched, new or not

    def summary(self) -> str:
        lines = [
            (
                f"runs added: {self.runs_added}, predictions added: {self.predictions_added}, "
                f"already present: {self.duplicates}"
            )
        ]
        if self.run_ids:
            lines.append("runs: " + ", ".join(self.run_ids))
        if self.skipped_tasks:
            lines.append("skipped unknown tasks: " + ", ".join(self.skipped_tasks))
        if self.unmatched_samples:
            per_task = ", ".join(f"{task} {n}" for task, n in sorted(self.unmatched_by_task.items()))
            lines.append(f"samples matching no known question: {self.unmatched_samples} ({per_task})")
        lines.extend(f"warning: {text}" for text in self.warnings)
        lines.extend(f"refused {path}: {reason}" for path, reason in self.refused)
        return "\n".join(lines)

    def merge(self, other: ImportReport) -> None:
        self.runs_added += other.runs_added
        self.predictions_added += other.predictions_added
        self.duplicates += other.duplicates
        self.skipped_tasks.extend(t for t in other.skipped_tasks if t not in self.skipped_tasks)
        self.unmatched_samples += other.unmatched_samples
        for task, n in other.unmatched_by_task.items():
            self.unmatched_by_task[task] = self.unmatched_by_task.get(task, 0) + n
        self.refused.extend(other.refused)
        self.warnings.extend(other.warnings)
        self.run_ids.extend(r for r in other.run_ids if r not in self.run_ids)


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


def _file_params(files: dict[str, Path]) -> dict[str, str]:
    return {table: str(files[table]) for table in BUNDLE_TABLES}


def parquet_rows(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> dict[str, int]:
    """Each table's row count, read from its file's Parquet footer."""
    found = dict(_run(con, "bundle_rows", {"files": [str(files[table]) for table in BUNDLE_TABLES]}))
    return {table: found[str(files[table])] for table in BUNDLE_TABLES}


def column_mismatches(
    con: duckdb.DuckDBPyConnection, files: dict[str, Path]
) -> list[tuple[str, str, str | None, str | None]]:
    """(table, column, type in the file, type the table has) for each column a table cannot take as it is."""
    return _run(con, "bundle_columns", _file_params(files))


def repeated_keys(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> list[tuple[str, str]]:
    """(table, its key columns) for each file that holds a key more than once."""
    return _run(con, "bundle_repeated_keys", _file_params(files))


def bundle_links(con: duckdb.DuckDBPyConnection, run_id: str, files: dict[str, Path]) -> dict:
    """Facts on whether the files describe the one run and all it points at (see bundle_links.sql)."""
    return _records(con, "bundle_links", {"run_id": run_id} | _file_params(files))[0]


def bundle_answers(con: duckdb.DuckDBPyConnection, file: Path, shown: int) -> list[dict]:
    """Each distinct (pred, pred_set where kept, golds, correct) of the file, with n (its rows) and
    examples (its first `shown` rows: row_number, question_id, variant)."""
    return _records(con, "bundle_answers", {"file": str(file), "shown": shown})


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
        added = _run(con, "insert_new_predictions", {"file": str(file), "run_id": run_id})[0][0]
    writer.recount_runs(con, [run_id])
    return added


def finish_merged_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    _run(con, "finish_merged_run", {"run_id": run_id})


# ---------------------------------------------------------------- lm-eval


def set_run_times(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime, finished_at: datetime) -> None:
    _run(con, "set_run_times", {"run_id": run_id, "started_at": started_at, "finished_at": finished_at})


# ---------------------------------------------------------------- runs known only by their scores (010)

SUMMARY_KINDS = ("aggregate", "reported")


@dataclass(frozen=True)
class SummaryScore:
    """One task's score of a run without per-question data: accuracy, and n where the source gives it."""

    task: str
    accuracy: float
    n: int | None = None
    n_correct: int | None = None
    n_source: str | None = None  # n-samples | acc_stderr | csv
    stderr: float | None = None
    metric: str = "acc"


@dataclass(frozen=True)
class SummaryRun:
    """A run known only by its per-task scores: 'aggregate' (an lm-eval results file without samples) or
    'reported' (a paper or model card, with its citation)."""

    run_id: str
    kind: str
    version_id: str
    num_fewshot: int | None
    protocol: str
    citation: str | None
    source_file: str
    source_sha256: str
    scores: Sequence[SummaryScore]
    settings: Mapping[str, Any] = field(default_factory=dict)
    packages: Mapping[str, str] = field(default_factory=dict)
    evaluated_at: datetime | None = None


def write_summary_run(con: duckdb.DuckDBPyConnection, run: SummaryRun) -> bool:
    """Write the run and its scores inside the caller's transaction; False (nothing written) when it is
    already here, so importing the same file twice adds nothing. Its model version and tasks are the
    caller's to register first (warehouse.writer)."""
    if run.kind not in SUMMARY_KINDS:
        raise ValueError(f"kind must be one of {SUMMARY_KINDS}, not {run.kind!r}")
    if _run(con, "summary_run_exists", {"run_id": run.run_id}):
        return False
    _run(
        con,
        "insert_summary_run",
        {
            "run_id": run.run_id,
            "kind": run.kind,
            "version_id": run.version_id,
            "num_fewshot": run.num_fewshot,
            "protocol": run.protocol,
            "citation": run.citation,
            "source_file": run.source_file,
            "source_sha256": run.source_sha256,
            "settings": json.dumps(run.settings, sort_keys=True, default=str),
            "packages": json.dumps(run.packages, sort_keys=True),
            "evaluated_at": run.evaluated_at,
            "imported_at": writer.now_utc(),
        },
    )
    for score in run.scores:
        _run(con, "insert_summary_score", {"run_id": run.run_id} | vars(score))
    return True
