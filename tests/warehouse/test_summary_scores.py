"""Runs without per-question data (migration 010) are kept out of every paired query: each query the
leaderboard's ties, Compare, History, the question views and the Runs page read returns exactly what it
returns on the same warehouse without them, although one of them shares its model version and shot count
with a ranked entry. summary_scores returns them, with their kind, shots, protocol and citation."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.fixtures import summaries_warehouse as sw
from tests.fixtures.warehouse import ENTRIES, OMLL_TASKS
from warehouse import queries
from warehouse.db import read_connection

A, B = ENTRIES["acme_v1"], ENTRIES["acme_v2"]
PAIRED = {  # query name -> its parameters: everything that pairs entries question by question, or lists them
    "entries": {},
    "leaderboard": {"task_group": "omll"},
    "leaderboard_answers": {"task_group": "omll"},
    "compare": {"a": A, "b": B, "task_group": "omll"},
    "history_models": {},
    "history": {"model_id": sw.ACME, "num_fewshot": 0, "scoring_mode": "loglikelihood", "task_group": "omll"},
    "history_flips": {"model_id": sw.ACME, "num_fewshot": 0, "scoring_mode": "loglikelihood", "task_group": "omll"},
    "questions": {"task_group": "omll", "scope": "split"},
    "question_matrix": {"task_group": "omll", "question_ids": [f"{t}/0" for t in OMLL_TASKS]},
    "question_answers": {"question_id": "medqa_4options/0", "task": "medqa_4options"},
    "runs": {},
    "analysis_item_responses": {"num_fewshot": 0},
    "analysis_slices": {},
    "analysis_calibration": {},
}


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("summaries")
    return sw.build(root / "without.duckdb", with_summaries=False), sw.build(root / "with.duckdb")


def load(path, name: str) -> pl.DataFrame:
    with read_connection(path) as con:
        return getattr(queries, name)(con, **PAIRED[name])


@pytest.mark.parametrize("name", sorted(PAIRED))
def test_paired_queries_never_see_runs_without_questions(paths, name):
    without, with_them = paths
    found = load(with_them, name)
    assert found.height > 0, f"{name} returns nothing on the fixture: the comparison would prove nothing"
    assert_frame_equal(found, load(without, name))
    ids = {sw.AGGREGATE.run_id, sw.REPORTED.run_id, sw.NOTED.run_id}
    for column in ("run_id", "entry_id"):
        if column in found.columns:
            assert not ids & set(found[column].cast(pl.String).to_list())


def test_summary_scores_lists_them_with_kind_shots_protocol_and_citation(paths):
    with read_connection(paths[1]) as con:
        cells = queries.summary_scores(con, "omll")
    runs = cells.group_by("run_id").agg(
        pl.first("kind"), pl.first("model_id"), pl.first("num_fewshot"), pl.first("citation"), pl.len().alias("tasks")
    )
    assert sorted(runs.rows()) == [
        ("aggregate-acme", "aggregate", sw.ACME, 0, None, 9),
        ("aggregate-gpt4", "aggregate", "GPT-4 (5-shot)", None, None, 1),
        ("reported-medpalm", "reported", "Med-PaLM 2", 5, "Singhal et al. 2023, arXiv:2305.09617", 2),
    ]
    medpalm = cells.filter(pl.col("run_id") == "reported-medpalm").sort("task")
    assert medpalm.select("task", "acc", "n", "n_correct").rows() == [
        ("medqa_4options", 0.865, 1273, 1101),
        ("pubmedqa", 0.817, None, None),
    ]
    assert entries_of(cells) == {"aggregate:aggregate-acme", "aggregate:aggregate-gpt4", "reported:reported-medpalm"}
    with read_connection(paths[1]) as con:
        assert queries.summary_scores(con, "french").is_empty()  # only the group's tasks


def entries_of(cells: pl.DataFrame) -> set[str]:
    return set(cells["entry_id"].to_list())
