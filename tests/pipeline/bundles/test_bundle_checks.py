"""What a bundle import checks before writing: column types (issue 14 #9) and `correct` (#10)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from pipeline.bundles import export_runs, import_bundles
from tests.fixtures.builder import Rows, Run, build_warehouse, run_spec
from tests.pipeline.bundles.synthetic import (
    TABLES,
    TASK,
    edit_manifest,
    rows,
    synthetic_questions,
    write_run,
)
from warehouse.records import ModelInfo, Prediction, Question, TaskInfo, file_sha256, version_id_for


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path]:
    """A bundle of 12 synthetic predictions, and the warehouse it came from."""
    tmp = tmp_path_factory.mktemp("checks")
    run_id = write_run(tmp / "source.duckdb", 31, synthetic_questions(12), model="test/checked")
    return export_runs(tmp / "source.duckdb", [run_id], tmp / "out")[0], tmp / "source.duckdb"


def rewrite(bundle: Path, table: str, change) -> None:
    """Edit one Parquet file of a bundle and record its new sha256, as a careless tool would."""
    file = bundle / f"{table}.parquet"
    change(pl.read_parquet(file)).write_parquet(file)
    edit_manifest(bundle, lambda m: m["files"][file.name].update(sha256=file_sha256(file)))


def refusal(pristine, tmp_path, table, change) -> str:
    bundle = tmp_path / pristine[0].name
    shutil.copytree(pristine[0], bundle)
    rewrite(bundle, table, change)
    target = tmp_path / "target.duckdb"
    report = import_bundles(target, [bundle])
    [(path, message)] = report.refused
    assert path == bundle and str(bundle) in message
    assert {t: rows(target, t) for t in TABLES} == {t: [] for t in TABLES}
    return message


def test_an_extra_column_is_refused_by_name(pristine, tmp_path):
    message = refusal(pristine, tmp_path, "predictions", lambda f: f.with_columns(pl.lit("x").alias("reviewer")))
    assert "predictions.parquet has a column 'reviewer' (VARCHAR)" in message
    assert "aborted" not in message


def test_a_column_of_the_wrong_type_names_the_type_expected(pristine, tmp_path):
    message = refusal(pristine, tmp_path, "predictions", lambda f: f.with_columns(pl.col("pred").cast(pl.String)))
    assert "predictions.parquet column 'pred' is VARCHAR, the warehouse's predictions.pred is INTEGER" in message
    assert "aborted" not in message


def test_a_row_whose_correct_disagrees_with_its_answer_is_refused(pristine, tmp_path):
    _, source = pristine
    [row] = rows(source, "predictions", "WHERE question_id = ?", [f"{TASK}/3"])
    qid, pred, golds, correct = row[1], row[4], row[5], row[6]
    assert correct == (golds == [pred])  # the source's own rule, so flipping it makes it wrong
    flip = pl.when(pl.col("question_id") == qid).then(~pl.col("correct")).otherwise(pl.col("correct"))
    message = refusal(pristine, tmp_path, "predictions", lambda f: f.with_columns(flip.alias("correct")))
    # predictions.parquet is ordered by question id: synthetic_mcq/0, /1, /10, /11, /2, /3 -> row 5
    assert f"row 5 (question {qid}): correct is {not correct} for pred {pred}" in message
    assert "1 rows whose 'correct' disagrees" in message


def multi_answer_source(path: Path) -> str:
    """A run over two multi-answer questions, golds {0, 2}: one predicted set exact, one partly right."""
    questions = [
        Question(
            id=f"{TASK}/m{i}",
            task=TASK,
            source_id=f"m{i}",
            text=f"Pick all {i}",
            options=("a", "b", "c", "d"),
            golds=(0, 2),
        )
        for i in range(2)
    ]
    info = ModelInfo(name="test/sets", revision="r", source="local")
    run_id = "multianswerrun01"
    spec = run_spec(
        run_id,
        version_id_for(info.name, info.revision),
        (TASK,),
        backend="synthetic",
        dtype=None,
        device=None,
        prompt_version="t",
        prompt_hash="t",
    )
    answers = [
        Prediction(
            run_id=run_id,
            question_id=questions[0].id,
            task=TASK,
            pred=2,
            golds=(0, 2),
            correct=True,
            loglikelihoods=(-1.1, -3.0, -1.0, -4.0),
            probs=None,
            prompt_hash="p",
            pred_set=(2, 0),
        ),
        Prediction(
            run_id=run_id,
            question_id=questions[1].id,
            task=TASK,
            pred=0,
            golds=(0, 2),
            correct=False,
            loglikelihoods=(-1.0, -4.0, -3.0, -4.0),
            probs=None,
            prompt_hash="p",
            pred_set=(0,),
        ),
    ]
    declared = Rows(
        tasks=[(TaskInfo(task=TASK, benchmark="synthetic", split="test", metric="emr", source="generated"), 2)],
        questions=questions,
        models=[info],
        runs=[Run(spec, answers, seconds=1.0)],
    )
    build_warehouse(path, declared)
    return run_id


def test_multi_answer_rows_are_scored_by_the_exact_set(tmp_path):
    run_id = multi_answer_source(tmp_path / "source.duckdb")
    bundle = export_runs(tmp_path / "source.duckdb", [run_id], tmp_path / "out")[0]
    report = import_bundles(tmp_path / "ok.duckdb", [bundle])
    assert (report.predictions_added, report.refused) == (2, [])

    # pred 0 is one of the golds, but the set {0} is not the gold set {0, 2}: claiming it right is refused.
    rewrite(bundle, "predictions", lambda f: f.with_columns(pl.lit(True).alias("correct")))
    report = import_bundles(tmp_path / "refused.duckdb", [bundle])
    [(_, message)] = report.refused
    assert f"row 1 (question {TASK}/m1): correct is True for pred 0, pred_set [0], golds [0, 2]" in message


def test_imported_runs_count_as_their_source(tmp_path):
    """The leaderboard's cached counts (prediction_counts) match the source warehouse's after a merge."""
    qs = synthetic_questions(20)
    source = tmp_path / "source.duckdb"
    run_id = write_run(source, 41, qs, failed=frozenset({qs[4].id}))
    bundle = export_runs(source, [run_id], tmp_path / "out")[0]
    target = tmp_path / "target.duckdb"
    import_bundles(target, [bundle])
    assert rows(target, "prediction_counts") == rows(source, "prediction_counts")
    [(n, n_correct)] = [r[4:6] for r in rows(source, "prediction_counts", "WHERE status = 'ok'")]
    assert (n, n_correct) == (19, sum(r[6] for r in rows(source, "predictions", "WHERE status = 'ok'")))
