"""Parquet run bundles: exact round trip, idempotent merge, refusals that write nothing, a 100-bundle merge."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipeline.bundles import BundleError, export_runs, import_bundle, import_bundles
from tests.pipeline.bundles.synthetic import (
    TABLES,
    count,
    edit_manifest,
    rows,
    synthetic_questions,
    write_run,
    write_runs,
)
from warehouse.migrate import latest_version
from warehouse.records import file_sha256


@pytest.fixture
def source(tmp_path) -> tuple[Path, list[str]]:
    """A warehouse with two runs of different models over overlapping questions."""
    path = tmp_path / "source.duckdb"
    qs = synthetic_questions(40)
    run_ids = [write_run(path, 1, qs[:30], model="test/a"), write_run(path, 2, qs[10:], model="test/b")]
    return path, run_ids


def test_export_writes_one_self_describing_bundle_per_run(source, tmp_path):
    path, run_ids = source
    bundles = export_runs(path, run_ids, tmp_path / "out")
    assert [b.name.split("-")[0] for b in bundles] == run_ids
    manifest = json.loads((bundles[0] / "manifest.json").read_text())
    assert manifest["schema_version"] == latest_version()
    assert manifest["run_id"] == run_ids[0]
    assert {name: entry["rows"] for name, entry in manifest["files"].items()} == {
        "runs.parquet": 1,
        "models.parquet": 1,
        "model_versions.parquet": 1,
        "benchmarks.parquet": 1,
        "questions.parquet": 30,
        "predictions.parquet": 30,
    }
    for name, entry in manifest["files"].items():
        assert file_sha256(bundles[0] / name) == entry["sha256"]
    assert pl.read_parquet(bundles[1] / "questions.parquet")["question_id"].to_list() == sorted(
        f"synthetic_mcq/{i}" for i in range(10, 40)
    )


def test_round_trip_gives_the_same_rows_and_a_second_import_adds_nothing(source, tmp_path):
    path, run_ids = source
    bundles = export_runs(path, run_ids, tmp_path / "out")
    target = tmp_path / "target.duckdb"
    first = import_bundles(target, [tmp_path / "out"])
    assert (first.runs_added, first.predictions_added, first.duplicates, first.refused) == (2, 60, 0, [])
    for table in TABLES:
        assert rows(target, table) == rows(path, table), table
    again = import_bundles(target, bundles + [tmp_path / "out"])  # each bundle named twice, too
    assert (again.runs_added, again.predictions_added, again.duplicates, again.refused) == (0, 0, 60, [])
    for table in TABLES:
        assert rows(target, table) == rows(path, table), table


def test_a_run_split_over_machines_merges_into_one_run(tmp_path):
    """Two machines each hold part of the same run (same run id); merged, it is the whole run."""
    qs = synthetic_questions(30)
    whole = tmp_path / "whole.duckdb"
    run_id = write_run(whole, 7, qs)
    machine_a, machine_b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    # Each machine holds the same run's rows (same timestamps too), minus the other machine's half.
    shutil.copy(whole, machine_a)
    shutil.copy(whole, machine_b)
    import duckdb

    for path, keep in ((machine_a, "< 15"), (machine_b, ">= 15")):
        con = duckdb.connect(str(path))
        con.execute(f"DELETE FROM predictions WHERE CAST(split_part(question_id, '/', 2) AS INTEGER) {keep}")
        con.execute("DELETE FROM questions WHERE question_id NOT IN (SELECT question_id FROM predictions)")
        con.execute("UPDATE runs SET n_predictions = 15")
        con.close()
    out = tmp_path / "out"
    export_runs(machine_a, [run_id], out)
    export_runs(machine_b, [run_id], out)
    assert len(list(out.iterdir())) == 2  # one run id, two bundles side by side
    merged = tmp_path / "merged.duckdb"
    report = import_bundles(merged, [out])
    assert (report.runs_added, report.predictions_added, report.refused) == (1, 30, [])
    for table in ("predictions", "questions", "models", "model_versions", "benchmarks"):
        assert rows(merged, table) == rows(whole, table), table
    assert rows(merged, "runs") == rows(whole, "runs")  # n_predictions recounted to 30


def test_an_answered_row_replaces_a_failed_one_in_either_order(tmp_path):
    qs = synthetic_questions(10)
    failed_first, answered = tmp_path / "failed.duckdb", tmp_path / "ok.duckdb"
    run_id = write_run(failed_first, 3, qs, failed=frozenset({qs[2].id, qs[5].id}))
    write_run(answered, 3, qs)
    out_failed = export_runs(failed_first, [run_id], tmp_path / "out")[0]
    out_ok = export_runs(answered, [run_id], tmp_path / "out")[0]
    for order in ((out_failed, out_ok), (out_ok, out_failed)):
        target = tmp_path / f"merged-{order[0].name}.duckdb"
        import_bundles(target, list(order))
        assert rows(target, "predictions", "WHERE status = 'failed'") == []
        assert count(target, "predictions") == 10
        [(status, n)] = [(r[0], r[1]) for r in _run_status(target)]
        assert (status, n) == ("complete", 10)
    alone = tmp_path / "alone.duckdb"
    import_bundles(alone, [out_failed])
    assert _run_status(alone) == [("failed", 10)]


def _run_status(path):
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT status, n_predictions FROM runs").fetchall()
    finally:
        con.close()


def _corrupt_byte(file: Path) -> None:
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))


def _foreign_row(bundle: Path) -> None:
    file = bundle / "predictions.parquet"
    frame = pl.read_parquet(file)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("someotherrun")).otherwise(pl.col("run_id")).alias("run_id")
    )
    frame.write_parquet(file)
    edit_manifest(bundle, lambda m: m["files"]["predictions.parquet"].update(sha256=file_sha256(file)))


MUTATIONS = {
    "newer schema": (
        lambda b: edit_manifest(b, lambda m: m.update(schema_version=latest_version() + 1)),
        "newer than this medlb's",
    ),
    "newer format": (lambda b: edit_manifest(b, lambda m: m.update(format_version=2)), "bundle format 2 is newer"),
    "manifest not JSON": (lambda b: (b / "manifest.json").write_text("{not json"), "not valid JSON"),
    "no manifest": (lambda b: (b / "manifest.json").unlink(), "no manifest.json"),
    "manifest lists too few files": (
        lambda b: edit_manifest(b, lambda m: m["files"].pop("questions.parquet")),
        "must list exactly",
    ),
    "row count differs": (
        lambda b: edit_manifest(b, lambda m: m["files"]["predictions.parquet"].update(rows=31)),
        "predictions.parquet has 30 rows, manifest.json says 31",
    ),
    "file corrupted": (lambda b: _corrupt_byte(b / "questions.parquet"), "questions.parquet does not match its sha256"),
    "file missing": (lambda b: (b / "models.parquet").unlink(), "models.parquet is missing"),
    "rows of another run": (_foreign_row, "holds rows of another run"),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path]:
    """A bundle of a new model's run, and a warehouse that already holds another run."""
    tmp = tmp_path_factory.mktemp("pristine")
    run_id = write_run(tmp / "source.duckdb", 11, synthetic_questions(30), model="test/new-model")
    bundle = export_runs(tmp / "source.duckdb", [run_id], tmp / "out")[0]
    write_run(tmp / "target.duckdb", 12, synthetic_questions(5), model="test/already-there")
    return bundle, tmp / "target.duckdb"


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_bad_bundle_is_refused_by_name_and_writes_nothing(name, pristine, tmp_path):
    bundle, target = tmp_path / pristine[0].name, tmp_path / "target.duckdb"
    shutil.copytree(pristine[0], bundle)
    shutil.copy(pristine[1], target)
    before = {t: rows(target, t) for t in TABLES}
    mutate, reason = MUTATIONS[name]
    mutate(bundle)
    report = import_bundles(target, [bundle])
    assert len(report.refused) == 1
    path, message = report.refused[0]
    assert path == bundle and str(bundle) in message and reason in message
    assert (report.runs_added, report.predictions_added) == (0, 0)
    assert {t: rows(target, t) for t in TABLES} == before
    shutil.rmtree(bundle)
    shutil.copytree(pristine[0], bundle)  # the same bundle unharmed goes in
    assert import_bundles(target, [bundle]).predictions_added == 30


def test_a_clash_found_inside_the_transaction_rolls_the_whole_bundle_back(tmp_path):
    """Checks that need the warehouse run after some rows are staged: the rollback must undo them."""
    source_path = tmp_path / "source.duckdb"
    run_id = write_run(source_path, 21, synthetic_questions(20), model="test/new-model")
    bundle = export_runs(source_path, [run_id], tmp_path / "out")[0]
    target = tmp_path / "target.duckdb"
    write_run(target, 22, synthetic_questions(5, text="A different text for question {i}"), model="test/other")
    before = {t: rows(target, t) for t in TABLES}
    report = import_bundles(target, [bundle])
    [(path, message)] = report.refused
    assert path == bundle and "differ in content" in message and "synthetic_mcq/0" in message
    assert {t: rows(target, t) for t in TABLES} == before
    with pytest.raises(BundleError):
        import_bundle(target, bundle)
    assert count(target, "models") == 1


def test_unknown_run_is_a_clear_error(source, tmp_path):
    path, _ = source
    from pipeline.bundles import UnknownRun

    with pytest.raises(UnknownRun, match="no run 'nope'"):
        export_runs(path, ["nope"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_simulation_merges_100_bundles_with_duplicates_and_one_corrupt(tmp_path):
    """81 runs on three 'machines', exported; 19 bundles sent twice; one bundle corrupted in transit."""
    qs = synthetic_questions(100)
    machines = [tmp_path / f"machine{m}.duckdb" for m in range(3)]
    runs: dict[str, tuple[Path, list]] = {}
    for m, machine in enumerate(machines):
        plan = [
            (seed, qs[(seed * 7) % 70 : (seed * 7) % 70 + 30], f"test/model-{seed % 5}", frozenset())
            for seed in range(m, 81, 3)
        ]
        for run_id, (_, used, _, _) in zip(write_runs(machine, plan), plan):
            runs[run_id] = (machine, used)
    outbox = tmp_path / "outbox"
    bundles = []
    for machine in machines:
        ids = [r for r, (m, _) in runs.items() if m == machine]
        bundles += export_runs(machine, ids, outbox / machine.stem)
    assert len(bundles) == 81
    resent = tmp_path / "resent"
    for bundle in bundles[:19]:
        shutil.copytree(bundle, resent / bundle.name)
    corrupt = bundles[-1]  # sent once only, so its rows must be absent from the result
    _corrupt_byte(corrupt / "predictions.parquet")
    corrupt_run = corrupt.name.split("-")[0]

    target = tmp_path / "central.duckdb"
    sources = [outbox / m.stem for m in machines] + [resent]
    report = import_bundles(target, sources)

    good = {r: v for r, v in runs.items() if r != corrupt_run}
    assert report.refused == [(corrupt, report.refused[0][1])]
    assert "predictions.parquet does not match its sha256" in report.refused[0][1]
    assert report.runs_added == 80
    assert report.predictions_added == 80 * 30
    assert report.duplicates == 19 * 30
    assert count(target, "runs") == 80
    assert count(target, "predictions") == 2400
    assert count(target, "questions") == len({q.id for _, used in good.values() for q in used})
    assert count(target, "model_versions") == 80
    assert count(target, "models") == 5
    assert count(target, "benchmarks") == 1
    expected = sorted(
        row for machine in machines for row in rows(machine, "predictions", "WHERE run_id <> ?", [corrupt_run])
    )
    assert rows(target, "predictions") == expected
    assert rows(target, "predictions", "WHERE run_id = ?", [corrupt_run]) == []
