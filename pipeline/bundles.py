"""Run bundles: one run as self-describing Parquet files, so many machines can fill one warehouse.

    export_runs(warehouse, ["a04b143b9fe98288"], Path("out"))   # -> [out/a04b143b9fe98288-1c2d3e4f]
    import_bundles(warehouse, [Path("out")])                     # a bundle, or a folder of bundles

A bundle folder holds runs, models, model_versions, benchmarks, questions and predictions as Parquet
(exactly the warehouse's rows and columns) plus manifest.json: format and version, the warehouse
schema version, the run id, and per file its row count and sha256.

Import checks a bundle whole before writing (manifest, hashes, counts, keys), then merges it in one
transaction: rows already present are kept (so the same run from two bundles is stored once), a run
split across shard bundles (`medlb eval --shard i/n`, same run id on every machine) gathers its
predictions into one run, and a bundle that is refused writes nothing.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import duckdb
import polars as pl

from pipeline.importers.report import ImportReport
from warehouse import writer
from warehouse.records import file_sha256
from warehouse.db import fetch_frame, read_connection, run_sql, write_connection
from warehouse.migrate import latest_version

BUNDLE_FORMAT = "medlb-run-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES = ("runs", "models", "model_versions", "benchmarks", "questions", "predictions")
HOLD_SECONDS = 2.0  # longest a bulk import keeps the writer lock before letting readers in
KEYS = {
    "runs": ("run_id",),
    "models": ("model_id",),
    "model_versions": ("version_id",),
    "benchmarks": ("task",),
    "questions": ("question_id",),
    "predictions": ("run_id", "question_id", "variant"),
}


class BundleError(ValueError):
    """A bundle that cannot be merged; the message names the bundle and what is wrong with it."""


class UnknownRun(LookupError):
    """export_runs was asked for a run id this warehouse does not hold."""


# ---------------------------------------------------------------- export


def run_frames(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, pl.DataFrame]:
    """Every row the run needs to stand on its own in another warehouse, in a stable order."""
    runs = fetch_frame(con, "SELECT * FROM runs WHERE run_id = ?", [run_id])
    if runs.is_empty():
        raise UnknownRun(f"no run {run_id!r} in this warehouse; list runs with "
                         "`SELECT run_id, status FROM runs` or check --warehouse")
    version = "(SELECT version_id FROM runs WHERE run_id = ?)"
    used_tasks = "(SELECT unnest(tasks) FROM runs WHERE run_id = ? UNION SELECT task FROM predictions WHERE run_id = ?)"
    return {
        "runs": runs,
        "model_versions": fetch_frame(con, f"SELECT * FROM model_versions WHERE version_id = {version}", [run_id]),
        "models": fetch_frame(con, f"SELECT * FROM models WHERE model_id IN (SELECT model_id FROM model_versions "
                              f"WHERE version_id = {version})", [run_id]),
        "benchmarks": fetch_frame(con, f"SELECT * FROM benchmarks WHERE task IN {used_tasks} ORDER BY task",
                             [run_id, run_id]),
        "questions": fetch_frame(con, "SELECT * FROM questions WHERE question_id IN "
                                 "(SELECT question_id FROM predictions WHERE run_id = ?) ORDER BY question_id", [run_id]),
        "predictions": fetch_frame(con, "SELECT * FROM predictions WHERE run_id = ? ORDER BY question_id, variant", [run_id]),
    }


def write_bundle(frames: dict[str, pl.DataFrame], run_id: str, schema_version: int, out_dir: Path) -> Path:
    """Parquet files first, manifest last: a folder without a manifest is never taken for a bundle."""
    staging = out_dir / f".{run_id}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    files = {}
    for table in TABLES:
        path = staging / f"{table}.parquet"
        frames[table].write_parquet(path)
        files[path.name] = {"rows": frames[table].height, "sha256": file_sha256(path)}
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
    """One bundle folder per run under out_dir; all runs are read before anything is written."""
    with read_connection(warehouse) as con:
        schema_version = run_sql(con, "SELECT max(version) FROM schema_migrations")[0][0]
        frames = {run_id: run_frames(con, run_id) for run_id in dict.fromkeys(run_ids)}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_bundle(f, run_id, schema_version, out_dir) for run_id, f in frames.items()]


# ---------------------------------------------------------------- reading and checking a bundle


@dataclass
class Bundle:
    path: Path
    manifest: dict
    frames: dict[str, pl.DataFrame]

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]


def read_manifest(path: Path) -> dict:
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(f"{path}: no {MANIFEST}; not a bundle written by `medlb export` (or an unfinished copy)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(f"{manifest_path}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{manifest_path}: 'format' is not {BUNDLE_FORMAT!r}")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise BundleError(f"{manifest_path}: 'format_version' must be a positive integer, found {version!r}")
    if version > FORMAT_VERSION:
        raise BundleError(f"{manifest_path}: bundle format {version} is newer than this medlb reads "
                          f"({FORMAT_VERSION}); upgrade medlb to import it")
    schema = manifest.get("schema_version")
    if not isinstance(schema, int):
        raise BundleError(f"{manifest_path}: 'schema_version' must be an integer, found {schema!r}")
    if schema > latest_version():
        raise BundleError(f"{manifest_path}: written with warehouse schema {schema}, newer than this medlb's "
                          f"{latest_version()}; upgrade medlb (git pull) before importing it")
    if not isinstance(manifest.get("run_id"), str) or not manifest["run_id"]:
        raise BundleError(f"{manifest_path}: 'run_id' missing")
    files = manifest.get("files")
    expected = {f"{t}.parquet" for t in TABLES}
    if not isinstance(files, dict) or set(files) != expected:
        raise BundleError(f"{manifest_path}: 'files' must list exactly {sorted(expected)}")
    for name, entry in files.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("rows"), int) and isinstance(entry.get("sha256"), str)):
            raise BundleError(f"{manifest_path}: files[{name!r}] needs an integer 'rows' and a 'sha256'")
    return manifest


def read_table(path: Path, table: str, entry: dict) -> pl.DataFrame:
    file = path / f"{table}.parquet"
    if not file.is_file():
        raise BundleError(f"{path}: {file.name} is missing")
    if file_sha256(file) != entry["sha256"]:
        raise BundleError(f"{path}: {file.name} does not match its sha256 in {MANIFEST} (corrupted or edited copy)")
    try:
        frame = pl.read_parquet(file)
    except Exception as error:  # polars raises several error types for a damaged file
        raise BundleError(f"{path}: {file.name} is not readable Parquet ({error})") from None
    if frame.height != entry["rows"]:
        raise BundleError(f"{path}: {file.name} has {frame.height} rows, {MANIFEST} says {entry['rows']}")
    missing = [c for c in KEYS[table] if c not in frame.columns]
    if missing:
        raise BundleError(f"{path}: {file.name} lacks key column(s) {missing}")
    if frame.select(KEYS[table]).is_duplicated().any():
        raise BundleError(f"{path}: {file.name} repeats a key {KEYS[table]}")
    return frame


def check_consistency(path: Path, run_id: str, frames: dict[str, pl.DataFrame]) -> None:
    """The rows must describe one run and everything it points at."""
    runs = frames["runs"]
    if runs.height != 1 or runs["run_id"][0] != run_id:
        raise BundleError(f"{path}: runs.parquet must hold exactly the run {run_id} named in {MANIFEST}")
    preds = frames["predictions"]
    if preds.height and (preds["run_id"] != run_id).any():
        raise BundleError(f"{path}: predictions.parquet holds rows of another run than {run_id}")
    version_id = runs["version_id"][0]
    if frames["model_versions"]["version_id"].to_list() != [version_id]:
        raise BundleError(f"{path}: model_versions.parquet must hold the run's model version {version_id}")
    model_id = frames["model_versions"]["model_id"][0]
    if model_id not in frames["models"]["model_id"].to_list():
        raise BundleError(f"{path}: models.parquet lacks the model {model_id!r} of the run")
    unknown_q = set(preds["question_id"].to_list()) - set(frames["questions"]["question_id"].to_list())
    if unknown_q:
        raise BundleError(f"{path}: {len(unknown_q)} predictions refer to questions not in questions.parquet "
                          f"(e.g. {sorted(unknown_q)[0]})")
    unknown_t = set(preds["task"].to_list()) - set(frames["benchmarks"]["task"].to_list())
    if unknown_t:
        raise BundleError(f"{path}: predictions of task(s) {sorted(unknown_t)} not in benchmarks.parquet")


def read_bundle(path: Path) -> Bundle:
    manifest = read_manifest(path)
    frames = {t: read_table(path, t, manifest["files"][f"{t}.parquet"]) for t in TABLES}
    check_consistency(path, manifest["run_id"], frames)
    return Bundle(path, manifest, frames)


def bundle_paths(paths: Sequence[Path]) -> list[Path]:
    """Each path is a bundle or a folder whose sub-folders are bundles.

    A folder with Parquet files, or with no sub-folder, is taken as a bundle, so one that lost its
    manifest is reported rather than silently passed over.
    """
    found: list[Path] = []
    for path in map(Path, paths):
        subdirs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")) if path.is_dir() else []
        if (path / MANIFEST).exists() or not subdirs or any(path.glob("*.parquet")):
            found.append(path)
        else:
            found.extend(subdirs)
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- merging into a warehouse


def insert_new(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Rows whose key is not there yet; columns by name, so a bundle from an older schema still fits."""
    if table in ("questions", "predictions"):
        return writer.insert_frame(con, table, frame)
    if table not in KEYS:
        raise ValueError(f"not a bundle table: {table!r}")
    before = run_sql(con, f"SELECT count(*) FROM {table}")[0][0]
    con.register("_bundle_rows", frame.to_arrow())
    try:
        run_sql(con, f"INSERT INTO {table} BY NAME SELECT * FROM _bundle_rows ON CONFLICT DO NOTHING")
    finally:
        con.unregister("_bundle_rows")
    return run_sql(con, f"SELECT count(*) FROM {table}")[0][0] - before


def insert_new_run_predictions(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """A run new to this warehouse has no predictions here, so no ON CONFLICT (1.6x slower measured);
    a stray row would still be caught by the primary key, and the bundle refused."""
    return writer.append_predictions(con, frame, on_conflict=None)


def new_questions(con: duckdb.DuckDBPyConnection, bundle: Bundle) -> pl.DataFrame:
    """The bundle's questions this warehouse lacks; refuses one whose id is here with other content
    (the bundle was made from another version of the benchmark data)."""
    questions = bundle.frames["questions"]
    con.register("_bundle_questions", questions.select("question_id", "content_hash").to_arrow())
    try:
        present = run_sql(con, "SELECT b.question_id, q.content_hash = b.content_hash FROM _bundle_questions b "
                               "JOIN questions q USING (question_id) ORDER BY 1")
    finally:
        con.unregister("_bundle_questions")
    clash = [qid for qid, same in present if not same]
    if clash:
        raise BundleError(f"{bundle.path}: questions {clash[:3]} differ in content from this warehouse's "
                          "(the bundle was made from another version of the benchmark data)")
    # Filtering here is cheaper than letting 20k ON CONFLICT checks find what is already there.
    return questions.filter(~pl.col("question_id").is_in([qid for qid, _ in present]))


def merge_run(con: duckdb.DuckDBPyConnection, bundle: Bundle) -> bool:
    """Insert the run, or widen the one already there. Returns True when the run is new.

    Every merge step is idempotent (union, least, greatest), so importing a bundle twice changes
    nothing; seconds keeps the longest shard's, the wall time of machines working side by side.
    """
    incoming = bundle.frames["runs"]
    existing = run_sql(con, "SELECT version_id FROM runs WHERE run_id = ?", [bundle.run_id])
    if not existing:
        insert_new(con, "runs", incoming)
        return True
    if existing[0][0] != incoming["version_id"][0]:
        raise BundleError(f"{bundle.path}: run {bundle.run_id} exists here for another model version")
    row = incoming.row(0, named=True)
    run_sql(
        con,
        "UPDATE runs SET tasks = list_sort(list_distinct(list_concat(tasks, ?))), "
        "started_at = least(started_at, ?), finished_at = greatest(finished_at, ?), "
        "seconds = greatest(seconds, ?), status = CASE WHEN status = 'running' OR ? = 'running' "
        "THEN 'running' ELSE 'complete' END WHERE run_id = ?",
        [list(row["tasks"]), row["started_at"], row["finished_at"], row["seconds"], row["status"], bundle.run_id],
    )
    return False


def merge_predictions(con: duckdb.DuckDBPyConnection, bundle: Bundle, run_is_new: bool) -> int:
    """A failed row here gives way to an answered row from the bundle (a retry done elsewhere)."""
    preds = bundle.frames["predictions"]
    if run_is_new:
        return insert_new_run_predictions(con, preds)
    answered = preds.filter(pl.col("status") != "failed").select("question_id", "variant")
    if answered.height:
        con.register("_bundle_answered", answered.to_arrow())
        try:
            writer.delete_predictions(con, "USING _bundle_answered a WHERE p.run_id = $run_id AND p.status = 'failed' "
                                           "AND p.question_id = a.question_id AND p.variant = a.variant",
                                      {"run_id": bundle.run_id})
        finally:
            con.unregister("_bundle_answered")
    return insert_new(con, "predictions", preds)


def finish_merge(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Count and status follow the rows: any failed prediction left makes the run 'failed'."""
    run_sql(
        con,
        "UPDATE runs SET n_predictions = (SELECT count(*) FROM predictions WHERE run_id = ?), "
        "status = CASE WHEN EXISTS (SELECT 1 FROM predictions WHERE run_id = ? AND status = 'failed') "
        "THEN 'failed' ELSE status END WHERE run_id = ?",
        [run_id, run_id, run_id],
    )


def merge_into(con: duckdb.DuckDBPyConnection, bundle: Bundle) -> ImportReport:
    """All of one bundle's writes, inside the caller's transaction."""
    questions = new_questions(con, bundle)
    for table in ("models", "model_versions", "benchmarks"):
        insert_new(con, table, bundle.frames[table])
    insert_new(con, "questions", questions)
    run_is_new = merge_run(con, bundle)
    added = merge_predictions(con, bundle, run_is_new)
    finish_merge(con, bundle.run_id)
    return ImportReport(runs_added=int(run_is_new), predictions_added=added,
                        duplicates=bundle.frames["predictions"].height - added, run_ids=[bundle.run_id])


def merge_bundle(warehouse: str | Path | None, bundle: Bundle) -> ImportReport:
    """One bundle in one transaction of its own: a refusal rolls everything back."""
    with write_connection(warehouse) as con:
        return merge_into(con, bundle)


def merge_or_refuse(con: duckdb.DuckDBPyConnection, path: Path) -> ImportReport:
    """Read, check and merge one bundle, then end its transaction: COMMIT, or ROLLBACK when refused."""
    try:
        report = merge_into(con, read_bundle(path))
    except (BundleError, duckdb.Error) as error:  # duckdb: e.g. a column type this warehouse cannot take
        run_sql(con, "ROLLBACK")
        run_sql(con, "BEGIN TRANSACTION")
        reason = str(error) if isinstance(error, BundleError) else f"{path}: the warehouse rejected its rows ({error})"
        return ImportReport(refused=[(path, reason)])
    run_sql(con, "COMMIT")
    run_sql(con, "BEGIN TRANSACTION")
    return report


def import_bundles(warehouse: str | Path | None, bundle_dirs: list[Path]) -> ImportReport:
    """Merge each bundle in its own transaction; refused bundles are listed with the reason and write nothing.

    One writer connection serves several bundles in a row (opening, migrating and closing one per
    bundle cost more than the rows), but it is given back every HOLD_SECONDS, so a dashboard
    waiting for the lock gets in between.
    """
    report = ImportReport()
    queue = bundle_paths(bundle_dirs)
    while queue:
        with write_connection(warehouse) as con:  # opens a transaction, commits the last (empty) one
            deadline = time.monotonic() + HOLD_SECONDS
            while queue and time.monotonic() < deadline:
                report.merge(merge_or_refuse(con, queue.pop(0)))
    return report
