"""Run bundles: one run as self-describing Parquet files, so many machines can fill one warehouse.

    export_runs(warehouse, ["a04b143b9fe98288"], Path("out"))   # -> [out/a04b143b9fe98288-1c2d3e4f]
    import_bundles(warehouse, [Path("out")])                     # a bundle, or a folder of bundles

A bundle folder holds runs, models, model_versions, benchmarks, questions and predictions as Parquet
(exactly the warehouse's rows and columns) plus manifest.json: format and version, the warehouse
schema version, the run id, and per file its row count and sha256.

Import checks a bundle whole before writing (manifest, hashes, counts, columns and their types, keys,
links, and every prediction's `correct` against its pred/pred_set and golds), then merges it in one
transaction of its own (warehouse.db.execute_write): rows already present are kept (so the same run
from two bundles is stored once), a run split across shard bundles (`medlb eval --shard i/n`, same
run id on every machine) gathers its predictions into one run, and a bundle that is refused writes
nothing. DuckDB reads and writes the Parquet files itself (warehouse.imports); rows never pass
through Python except to check their correctness.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.metrics import scored_correct
from warehouse import imports, writer
from warehouse.db import execute_write, read_connection
from warehouse.errors import MedlbError
from warehouse.imports import ImportReport
from warehouse.migrate import latest_version
from warehouse.records import file_sha256

BUNDLE_FORMAT = "medlb-run-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES = imports.BUNDLE_TABLES
SHOWN = 3  # at most this many examples of one defect in a message


class BundleError(MedlbError, ValueError):
    """A bundle that cannot be merged; the message names the bundle and what is wrong with it."""


class UnknownRun(MedlbError, LookupError):
    """export_runs was asked for a run id this warehouse does not hold."""


# ---------------------------------------------------------------- export


def write_bundle(con: duckdb.DuckDBPyConnection, run_id: str, schema_version: int, out_dir: Path) -> Path:
    """Parquet files first, manifest last: a folder without a manifest is never taken for a bundle."""
    staging = out_dir / f".{run_id}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    files = {}
    for table in TABLES:
        path = staging / f"{table}.parquet"
        rows = imports.export_table(con, table, run_id, path)
        files[path.name] = {"rows": rows, "sha256": file_sha256(path)}
    manifest = {
        "format": BUNDLE_FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": schema_version,
        "run_id": run_id,
        "created_at": writer.now_utc().isoformat(timespec="seconds") + "Z",
        "files": files,
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    # Shards of one run share its id: the predictions hash tells their bundles apart in one folder.
    final = out_dir / f"{run_id}-{files['predictions.parquet']['sha256'][:8]}"
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    return final


def export_runs(warehouse: str | Path | None, run_ids: list[str], out_dir: Path) -> list[Path]:
    """One bundle folder per run under out_dir; every run id is checked before anything is written,
    and all are written from one reader (one consistent state of the warehouse)."""
    run_ids = list(dict.fromkeys(run_ids))
    with read_connection(warehouse) as con:
        unknown = [run_id for run_id in run_ids if imports.run_version(con, run_id) is None]
        if unknown:
            raise UnknownRun(
                f"no run {unknown[0]!r} in this warehouse; list runs with "
                "`SELECT run_id, status FROM runs` or check --warehouse"
            )
        schema_version = imports.schema_version(con)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        return [write_bundle(con, run_id, schema_version, out_dir) for run_id in run_ids]


# ---------------------------------------------------------------- reading and checking a bundle


@dataclass(frozen=True)
class Bundle:
    path: Path
    manifest: dict
    files: dict[str, Path]  # table -> its Parquet file, present and matching its sha256

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    def rows(self, table: str) -> int:
        return self.manifest["files"][f"{table}.parquet"]["rows"]


def read_manifest(path: Path) -> dict:
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(f"{path}: no {MANIFEST}; not a bundle written by `medlb export` (or an unfinished copy)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as error:  # bad UTF-8 or JSON, a 5000-digit number, deep nesting
        raise BundleError(f"{manifest_path}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{manifest_path}: 'format' is not {BUNDLE_FORMAT!r}")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise BundleError(f"{manifest_path}: 'format_version' must be a positive integer, found {version!r}")
    if version > FORMAT_VERSION:
        raise BundleError(
            f"{manifest_path}: bundle format {version} is newer than this medlb reads "
            f"({FORMAT_VERSION}); upgrade medlb to import it"
        )
    schema = manifest.get("schema_version")
    if not isinstance(schema, int):
        raise BundleError(f"{manifest_path}: 'schema_version' must be an integer, found {schema!r}")
    if schema > latest_version():
        raise BundleError(
            f"{manifest_path}: written with warehouse schema {schema}, newer than this medlb's "
            f"{latest_version()}; upgrade medlb (git pull) before importing it"
        )
    if not isinstance(manifest.get("run_id"), str) or not manifest["run_id"]:
        raise BundleError(f"{manifest_path}: 'run_id' missing")
    files = manifest.get("files")
    expected = {f"{t}.parquet" for t in TABLES}
    if not isinstance(files, dict) or set(files) != expected:
        raise BundleError(f"{manifest_path}: 'files' must list exactly {sorted(expected)}")
    for name, entry in files.items():
        if not (
            isinstance(entry, dict) and isinstance(entry.get("rows"), int) and isinstance(entry.get("sha256"), str)
        ):
            raise BundleError(f"{manifest_path}: files[{name!r}] needs an integer 'rows' and a 'sha256'")
    return manifest


def checked_files(path: Path, manifest: dict) -> dict[str, Path]:
    """Each table's file, present and byte for byte the one the manifest describes."""
    files = {}
    for table in TABLES:
        file = path / f"{table}.parquet"
        if not file.is_file():
            raise BundleError(f"{path}: {file.name} is missing")
        if file_sha256(file) != manifest["files"][file.name]["sha256"]:
            raise BundleError(f"{path}: {file.name} does not match its sha256 in {MANIFEST} (corrupted or edited copy)")
        files[table] = file
    return files


def read_bundle(path: Path) -> Bundle:
    """The checks that need no warehouse: the manifest, and every file present with its sha256."""
    manifest = read_manifest(path)
    return Bundle(path, manifest, checked_files(path, manifest))


def column_problem(table: str, column: str, found: str | None, expected: str | None) -> str:
    if expected is None:
        return f"{table}.parquet has a column {column!r} ({found}) that the warehouse's {table} table does not have"
    if found is None:
        return f"{table}.parquet lacks the column {column!r} ({expected}) that the warehouse's {table} table needs"
    return f"{table}.parquet column {column!r} is {found}, the warehouse's {table}.{column} is {expected}"


def check_tables(con: duckdb.DuckDBPyConnection, bundle: Bundle) -> None:
    """Readable Parquet, the manifest's row counts, columns the warehouse can take, no key twice."""
    try:
        rows = imports.parquet_rows(con, bundle.files)
    except duckdb.Error as error:
        raise BundleError(f"{bundle.path}: a file is not readable Parquet ({error})") from None
    for table in TABLES:
        if rows[table] != bundle.rows(table):
            raise BundleError(
                f"{bundle.path}: {table}.parquet has {rows[table]} rows, {MANIFEST} says {bundle.rows(table)}"
            )
    mismatches = imports.column_mismatches(con, bundle.files)
    if mismatches:
        problems = "; ".join(column_problem(*m) for m in mismatches)
        raise BundleError(
            f"{bundle.path}: {problems}. Export the run again with `medlb export` (bundles hold "
            "exactly the warehouse's columns), or fix the file and its sha256 in the manifest"
        )
    repeated = imports.repeated_keys(con, bundle.files)
    if repeated:
        table, key = repeated[0]
        raise BundleError(f"{bundle.path}: {table}.parquet repeats a key ({key})")


def check_links(con: duckdb.DuckDBPyConnection, bundle: Bundle) -> str:
    """The rows must describe one run and everything it points at. Returns the run's model version."""
    path, run_id = bundle.path, bundle.run_id
    links = imports.bundle_links(con, run_id, bundle.files)
    if not links["is_named_run"]:
        raise BundleError(f"{path}: runs.parquet must hold exactly the run {run_id} named in {MANIFEST}")
    if links["foreign_predictions"]:
        raise BundleError(f"{path}: predictions.parquet holds rows of another run than {run_id}")
    if links["version_ids"] != [links["version_id"]]:
        raise BundleError(f"{path}: model_versions.parquet must hold the run's model version {links['version_id']}")
    if not links["model_present"]:
        raise BundleError(f"{path}: models.parquet lacks the model {links['model_id']!r} of the run")
    if links["unknown_questions"]:
        raise BundleError(
            f"{path}: {links['unknown_questions']} predictions refer to questions not in questions.parquet "
            f"(e.g. {links['unknown_question']})"
        )
    if links["unknown_tasks"]:
        raise BundleError(f"{path}: predictions of task(s) {links['unknown_tasks']} not in benchmarks.parquet")
    return links["version_id"]


def check_correct(con: duckdb.DuckDBPyConnection, bundle: Bundle) -> None:
    """A bundle's `correct` is recomputed, not trusted: the leaderboard counts it."""
    wrong = [
        answer
        for answer in imports.bundle_answers(con, bundle.files["predictions"], SHOWN)
        if answer["correct"] != scored_correct(answer["pred"], answer.get("pred_set"), answer["golds"])
    ]
    if wrong:
        shown = "; ".join(
            f"row {row['row_number']} (question {row['question_id']}"
            f"{', variant ' + repr(row['variant']) if row['variant'] else ''}): correct is {answer['correct']} for "
            f"pred {answer['pred']}, pred_set {answer.get('pred_set')}, golds {answer['golds']}"
            for answer in wrong
            for row in answer["examples"]
        )
        raise BundleError(
            f"{bundle.path}: predictions.parquet: {sum(a['n'] for a in wrong)} rows whose 'correct' "
            f"disagrees with their answer and golds (rows count from 0), e.g. {shown}. The bundle was "
            "edited or written by a faulty medlb; export the run again"
        )


def check_bundle(con: duckdb.DuckDBPyConnection, bundle: Bundle) -> str:
    """Everything about the files that needs DuckDB to read them; the warehouse is not written.
    Returns the run's model version."""
    check_tables(con, bundle)
    version_id = check_links(con, bundle)
    check_correct(con, bundle)
    clash = imports.question_clashes(con, bundle.files["questions"])
    if clash:
        raise BundleError(
            f"{bundle.path}: questions {clash[:SHOWN]} differ in content from this warehouse's "
            "(the bundle was made from another version of the benchmark data)"
        )
    return version_id


def bundle_paths(paths: Sequence[Path]) -> list[Path]:
    """Each path is a bundle or a folder whose sub-folders are bundles.

    A folder with Parquet files, or with no sub-folder, is taken as a bundle, so one that lost its
    manifest is reported rather than silently passed over.
    """
    found: list[Path] = []
    for path in map(Path, paths):
        subdirs = (
            sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")) if path.is_dir() else []
        )
        if (path / MANIFEST).exists() or not subdirs or any(path.glob("*.parquet")):
            found.append(path)
        else:
            found.extend(subdirs)
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- merging into a warehouse


def merge_run(con: duckdb.DuckDBPyConnection, bundle: Bundle, version_id: str) -> bool:
    """Insert the run, or widen the one already there (warehouse/sql/imports/widen_run.sql).
    Returns True when the run is new."""
    existing = imports.run_version(con, bundle.run_id)
    if existing is None:
        imports.insert_run(con, bundle.files["runs"])
        return True
    if existing != version_id:
        raise BundleError(f"{bundle.path}: run {bundle.run_id} exists here for another model version")
    imports.widen_run(con, bundle.files["runs"])
    return False


def merge_into(con: duckdb.DuckDBPyConnection, bundle: Bundle) -> ImportReport:
    """Check one bundle against the warehouse and write it, inside the caller's transaction."""
    version_id = check_bundle(con, bundle)
    for table in imports.REFERENCE_TABLES:
        imports.insert_reference_rows(con, table, bundle.files[table])
    imports.insert_new_questions(con, bundle.files["questions"])
    run_is_new = merge_run(con, bundle, version_id)
    added = imports.merge_predictions(con, bundle.run_id, bundle.files["predictions"], run_is_new)
    imports.finish_merged_run(con, bundle.run_id)
    return ImportReport(
        runs_added=int(run_is_new),
        predictions_added=added,
        duplicates=bundle.rows("predictions") - added,
        run_ids=[bundle.run_id],
    )


def import_bundle(warehouse: str | Path | None, path: Path) -> ImportReport:
    """Check and merge one bundle in one transaction of its own; a refusal (BundleError) writes nothing."""
    bundle = read_bundle(Path(path))
    try:
        return execute_write(lambda con: merge_into(con, bundle), warehouse)
    except duckdb.Error as error:  # e.g. a row the warehouse's constraints refuse (a NULL key)
        raise BundleError(f"{bundle.path}: the warehouse rejected its rows ({error})") from None


def import_bundles(warehouse: str | Path | None, bundle_dirs: list[Path]) -> ImportReport:
    """Merge each bundle in its own transaction; refused bundles are listed with the reason and write nothing.

    Each bundle takes the writer lock only for its own transaction, so a dashboard waiting for the
    lock gets in between two bundles.
    """
    report = ImportReport()
    for path in bundle_paths(bundle_dirs):
        try:
            report.merge(import_bundle(warehouse, path))
        except BundleError as error:
            report.refused.append((path, str(error)))
    return report
