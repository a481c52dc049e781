"""`medlb import bundle` (pipeline.bundles.import_bundles) on malformed copies of a real exported bundle.

A synthetic run of 8 questions is written through warehouse.writer and exported with `export_runs`; one
example changes the manifest's fields, or one Parquet table (a column cast to another type, dropped or
added, a cell set to null or to a hostile value, a row repeated or dropped, `correct` flipped), then
either re-pins the manifest's sha256 and row count (so the change reaches the checks behind the hash) or
leaves it stale, or damages a file's bytes. The import goes into a warehouse that already holds another
run. The property:
- the bundle is refused with a one-line reason naming the bundle, and the warehouse file is byte for byte
  what it was; or
- it is merged, and the warehouse gained exactly the predictions the report counts, each with `correct`
  equal to its pred and golds, and lost none of the run that was there.
Any exception out of import_bundles is a failure (a refusal is a report entry, not an exception).
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pipeline.bundles import export_runs, import_bundles
from tests.fuzz.hostile import ci_settings, damaged_bytes, dumps, error_problems, mutated, sha256_of
from tests.helpers import query
from tests.pipeline.bundles.synthetic import TABLES, synthetic_questions, write_run
from warehouse.errors import MedlbError
from warehouse.records import file_sha256


@dataclass(frozen=True)
class Made:
    bundle: Path  # the exported bundle, unchanged
    target: Path  # a warehouse holding another run


_MADE: list[Made] = []


def made() -> Made:
    """The bundle and the target warehouse, made once per process in a temporary folder."""
    if not _MADE:
        folder = Path(tempfile.mkdtemp(prefix="fuzz-bundle-made-"))
        atexit.register(shutil.rmtree, folder, True)
        run_id = write_run(folder / "source.duckdb", 41, synthetic_questions(8), model="test/fuzzed")
        bundle = export_runs(folder / "source.duckdb", [run_id], folder / "out")[0]
        write_run(folder / "target.duckdb", 42, synthetic_questions(6), model="test/resident")
        _MADE.append(Made(bundle, folder / "target.duckdb"))
    return _MADE[0]


@dataclass(frozen=True)
class BundleCase:
    change: str
    edit: tuple  # ("file", name, bytes) | ("table", table, how, column, row, value, repin)

    def __repr__(self) -> str:
        return f"BundleCase({self.change})"


TABLE_CHANGES = ("cast", "drop_column", "add_column", "null", "value", "repeat_row", "drop_row", "flip_correct")
# no lone surrogate: Parquet strings are UTF-8, so polars (or any writer) cannot put one in a bundle
VALUES = (None, -1, 2**40, 1.5, True, "", "x" * 100_001, "nul\x00byte", "[x](http://evil.example)", "'; --")


@st.composite
def bundle_cases(draw) -> BundleCase:
    bundle = made().bundle
    kind = draw(st.sampled_from(["manifest", "table", "table", "table", "bytes"]))
    if kind == "manifest":
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        changed, done = draw(mutated(manifest))
        return BundleCase(f"manifest: {'; '.join(done)}", ("file", "manifest.json", dumps(changed).encode()))
    if kind == "bytes":
        name = draw(st.sampled_from(["manifest.json", *(f"{t}.parquet" for t in TABLES)]))
        data, done = draw(damaged_bytes((bundle / name).read_bytes()))
        return BundleCase(f"{name}: {done}", ("file", name, data))
    table = draw(st.sampled_from(TABLES))
    how = draw(st.sampled_from(TABLE_CHANGES))
    column = draw(st.sampled_from(pl.read_parquet(bundle / f"{table}.parquet").columns))
    row, value, repin = draw(st.integers(0, 7)), draw(st.sampled_from(VALUES)), draw(st.integers(0, 3)) > 0
    change = f"{table}.parquet: {how} {column} row {row} = {value!r:.40} (manifest re-pinned: {repin})"
    return BundleCase(change, ("table", table, how, column, row, value, repin))


def changed_table(frame: pl.DataFrame, how: str, column: str, row: int, value) -> pl.DataFrame:
    row = min(row, max(frame.height - 1, 0))
    if how == "cast":
        return frame.with_columns(pl.col(column).cast(pl.String))
    if how == "drop_column":
        return frame.drop(column)
    if how == "add_column":
        return frame.with_columns(pl.lit(0 if value is None else str(value)).alias("extra_column"))
    if how == "repeat_row":
        return pl.concat([frame, frame.slice(row, 1)])
    if how == "drop_row":
        return frame.with_row_index("_i").filter(pl.col("_i") != row).drop("_i")
    if how == "flip_correct" and "correct" in frame.columns:
        flipped = pl.when(pl.int_range(pl.len()) == row).then(~pl.col("correct")).otherwise(pl.col("correct"))
        return frame.with_columns(flipped.alias("correct"))
    cells = frame[column].to_list()  # null / value: one cell, the column keeping its type where the value fits
    if not cells:
        return frame
    cells[row] = None if how != "value" else value
    try:
        series = pl.Series(column, cells, dtype=frame[column].dtype, strict=True)
    except Exception:
        series = pl.Series(column, [None if c is None else str(c) for c in cells], dtype=pl.String)
    return frame.with_columns(series)


def apply(case: BundleCase, bundle: Path) -> None:
    if case.edit[0] == "file":
        _, name, data = case.edit
        (bundle / name).write_bytes(data)
        return
    _, table, how, column, row, value, repin = case.edit
    path = bundle / f"{table}.parquet"
    frame = changed_table(pl.read_parquet(path), how, column, row, value)
    frame.write_parquet(path)
    if repin:
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        manifest["files"][path.name] = {"rows": frame.height, "sha256": file_sha256(path)}
        (bundle / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@contextmanager
def bundle_copy(source: Made) -> Iterator[tuple[Path, Path]]:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-bundle-"))
    try:
        bundle = folder / source.bundle.name
        shutil.copytree(source.bundle, bundle)
        shutil.copy(source.target, folder / "w.duckdb")
        yield bundle, folder / "w.duckdb"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


PREDICTIONS = "SELECT run_id, question_id, variant, pred, pred_set, golds, correct FROM predictions"


def check(case: BundleCase) -> list[str]:
    with bundle_copy(made()) as (bundle, warehouse):
        try:
            apply(case, bundle)
        except Exception as error:  # polars refused to write the change: nothing to import
            return [] if "polars" in type(error).__module__ else [f"the case could not be written: {error!r}"]
        before, resident = sha256_of(warehouse), query(warehouse, PREDICTIONS)
        try:
            report = import_bundles(warehouse, [bundle])
        except Exception as error:
            return error_problems(error) + [f"import_bundles raised instead of refusing: {type(error).__name__}"]
        if report.refused:
            problems = [p for _, reason in report.refused for p in error_problems(MedlbError(reason), str(bundle))]
            if sha256_of(warehouse) != before:
                problems.append("refused, yet the warehouse file changed")
            return problems
        return merged_problems(warehouse, resident, report)


def merged_problems(warehouse: Path, resident: list[tuple], report) -> list[str]:
    problems = []
    now = query(warehouse, PREDICTIONS)
    lost = {repr(row) for row in resident} - {repr(row) for row in now}
    if lost:
        problems.append(f"{len(lost)} predictions of the resident run were lost or changed")
    if len(now) - len(resident) != report.predictions_added:
        problems.append(
            f"report says {report.predictions_added} added, the warehouse gained {len(now) - len(resident)}"
        )
    for _, question_id, _, pred, pred_set, golds, correct in now:
        expected = set(pred_set) == set(golds) if pred_set is not None else pred is not None and [pred] == golds
        if correct != expected:
            problems.append(f"{question_id}: correct={correct} for pred {pred}, pred_set {pred_set}, golds {golds}")
    return problems


def test_the_unchanged_bundle_merges_whole():
    with bundle_copy(made()) as (bundle, warehouse):
        resident = query(warehouse, PREDICTIONS)
        report = import_bundles(warehouse, [bundle])
        assert (report.runs_added, report.predictions_added, report.refused) == (1, 8, [])
        assert merged_problems(warehouse, resident, report) == []


@ci_settings("bundles")
@given(case=bundle_cases())
def test_a_malformed_bundle_merges_whole_or_is_refused_whole(case):
    assert check(case) == []
