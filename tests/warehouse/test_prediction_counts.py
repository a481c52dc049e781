"""prediction_counts (migration 006) against the rows it caches, and the leaderboard's fast path
against the plain aggregate over counted_predictions, before and after writes that overlap runs."""

from __future__ import annotations

import shutil

import polars as pl

from tests.fixtures.warehouse import BETA, ENTRIES, _answers, _prediction, _spec, task_questions
from warehouse import queries, writer
from warehouse.db import execute_write, fetch_frame, read_connection

RECOUNT = (
    "SELECT run_id, task, variant, status, count(*) AS n, count(*) FILTER (WHERE correct) AS n_correct "
    "FROM predictions GROUP BY ALL ORDER BY ALL"
)
CACHED = "SELECT run_id, task, variant, status, n, n_correct FROM prediction_counts WHERE n > 0 ORDER BY ALL"
PLAIN_LEADERBOARD = (
    "SELECT c.entry_id, c.task, count(*) AS n, count(*) FILTER (WHERE c.correct) AS n_correct "
    "FROM counted_predictions c JOIN benchmarks b ON b.task = c.task WHERE b.task_group = 'omll' "
    "GROUP BY ALL ORDER BY ALL"
)


def assert_counts_match(con) -> None:
    assert fetch_frame(con, CACHED).equals(fetch_frame(con, RECOUNT))
    fast = queries.leaderboard(con, "omll").select("entry_id", "task", "n", "n_correct")
    assert fast.equals(fetch_frame(con, PLAIN_LEADERBOARD)), (fast, fetch_frame(con, PLAIN_LEADERBOARD))


def test_fixture_counts_and_leaderboard_equal_the_rows(con):
    assert_counts_match(con)
    # the fixture has what the fast path must not get wrong: a two-run entry, a failed row, a perturbation
    board = queries.leaderboard(con, "omll")
    medqa = board.filter((pl.col("entry_id") == ENTRIES["acme_v2"]) & (pl.col("task") == "medqa_4options"))
    assert medqa["n_correct"].to_list() == [4]  # the newer run's 1111, not old 1110 plus new 1111
    assert fetch_frame(con, "SELECT sum(n) AS n FROM prediction_counts WHERE status = 'failed'")["n"].to_list() == [1]


def test_writes_keep_counts_equal_to_predictions(fixture_path, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(fixture_path, path)
    medmcqa = task_questions("medmcqa")

    def overlapping_writes(con):
        # beta's failed medmcqa row retried: replace_failed removes it, the retry's answer takes its place
        writer.replace_failed(con, "run-beta", [medmcqa[3].id])
        writer.write_predictions(con, [_prediction("run-beta", medmcqa[3], right=True)])
        # a second beta run of the same configuration overlapping the first on medmcqa (a multi-run entry now)
        writer.start_run(con, _spec("run-beta-2", BETA, "rev-beta-1", dtype="bfloat16", tasks=["medmcqa"]))
        added = writer.write_predictions(con, _answers("run-beta-2", medmcqa, "0111"))
        again = writer.write_predictions(con, _answers("run-beta-2", medmcqa, "0111"))  # already there: no-op
        writer.finish_run(con, "run-beta-2", "complete", 1.0)
        deleted = writer.delete_predictions(
            con, "WHERE p.run_id = $run AND p.question_id = $q", {"run": "run-beta-2", "q": medmcqa[0].id}
        )
        return added, again, deleted

    added, again, deleted = execute_write(overlapping_writes, path)
    assert (added, again, deleted) == (4, 0, 1)
    with read_connection(path) as con:
        assert_counts_match(con)
        board = queries.leaderboard(con, "omll")
        cell = board.filter((pl.col("entry_id") == ENTRIES["beta"]) & (pl.col("task") == "medmcqa"))
        # q0 from run-beta (right, 1000 pattern), q1..q3 from run-beta-2 (right)
        assert cell.select("n", "n_correct").row(0) == (4, 4)
