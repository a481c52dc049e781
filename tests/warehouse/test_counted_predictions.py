"""Which run counts (migration 005), stated as plain rows in the manner of a dbt unit test: given these
runs and predictions, the view counted_predictions returns exactly these rows."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.migrate import migrate

VERSIONS = [("vx", "org/x"), ("vz", "org/z")]
RUNS = [  # run_id, version_id, num_fewshot, status, started_at, finished_at
    ("r-old", "vx", 0, "complete", "2024-01-01 10:00", "2024-01-01 11:00"),
    ("r-new", "vx", 0, "complete", "2024-02-01 10:00", "2024-02-01 11:00"),
    ("r-running", "vx", 0, "running", "2024-03-01 10:00", None),  # newest, but not complete
    ("r-5shot", "vx", 5, "complete", "2024-01-15 10:00", "2024-01-15 11:00"),  # another entry
    ("r-b", "vz", 0, "complete", "2024-01-01 10:00", "2024-01-01 11:00"),  # a tie in time:
    ("r-a", "vz", 0, "complete", "2024-01-01 10:00", "2024-01-01 11:00"),  # run_id decides
]
PREDICTIONS = [  # run_id, question_id, variant, correct, status
    ("r-old", "q1", "", True, "ok"),
    ("r-old", "q2", "", False, "ok"),
    ("r-old", "q3", "", True, "ok"),
    ("r-new", "q1", "", False, "ok"),
    ("r-new", "q2", "", False, "failed"),  # not an answer: r-old's answer to q2 counts
    ("r-new", "q3", "perm1", False, "ok"),  # a probe, never an answer
    ("r-running", "q1", "", True, "ok"),
    ("r-running", "q4", "", False, "invalid"),  # the only answer to q4: counts, as wrong
    ("r-5shot", "q1", "", True, "ok"),
    ("r-b", "q1", "", False, "ok"),
    ("r-a", "q1", "", True, "ok"),
]
EXPECTED = {  # entry_id, question_id -> run_id, correct, status, runs_in_entry
    ("vx:0:loglikelihood", "q1"): ("r-new", False, "ok", 3),
    ("vx:0:loglikelihood", "q2"): ("r-old", False, "ok", 3),
    ("vx:0:loglikelihood", "q3"): ("r-old", True, "ok", 3),
    ("vx:0:loglikelihood", "q4"): ("r-running", False, "invalid", 3),
    ("vx:5:loglikelihood", "q1"): ("r-5shot", True, "ok", 1),
    ("vz:0:loglikelihood", "q1"): ("r-a", True, "ok", 2),
}


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    migrate(connection)
    for version_id, model_id in VERSIONS:
        connection.execute(
            "INSERT INTO model_versions (version_id, model_id, revision, label) VALUES (?, ?, 'main', ?)",
            [version_id, model_id, model_id],
        )
    for run_id, version_id, shots, status, started, finished in RUNS:
        connection.execute(
            "INSERT INTO runs (run_id, version_id, backend, scoring_mode, provenance, num_fewshot, prompt_version,"
            " prompt_hash, settings, packages, tasks, status, started_at, finished_at)"
            " VALUES (?, ?, 'transformers', 'loglikelihood', 'evaluated', ?, '1', 'h', '{}', '{}', ['t'], ?, ?, ?)",
            [run_id, version_id, shots, status, started, finished],
        )
    for run_id, question_id, variant, correct, status in PREDICTIONS:
        connection.execute(
            "INSERT INTO predictions (run_id, question_id, variant, task, pred, golds, correct, prompt_hash, status)"
            " VALUES (?, ?, ?, 't', 0, [0], ?, 'h', ?)",
            [run_id, question_id, variant, correct, status],
        )
    yield connection
    connection.close()


def test_counted_predictions_returns_exactly_the_expected_rows(con):
    rows = con.execute(
        "SELECT entry_id, question_id, run_id, correct, status, runs_in_entry FROM counted_predictions"
    ).fetchall()
    got = {(entry, question): rest for entry, question, *rest in rows}
    assert len(rows) == len(got)  # one answer per (entry, question)
    assert got == {key: list(value) for key, value in EXPECTED.items()}


def test_entry_runs_rank_complete_first_then_latest_then_run_id(con):
    ranks = con.execute("SELECT entry_id, run_id, run_rank FROM entry_runs ORDER BY entry_id, run_rank").fetchall()
    assert ranks == [
        ("vx:0:loglikelihood", "r-new", 1),
        ("vx:0:loglikelihood", "r-old", 2),
        ("vx:0:loglikelihood", "r-running", 3),
        ("vx:5:loglikelihood", "r-5shot", 1),
        ("vz:0:loglikelihood", "r-a", 1),
        ("vz:0:loglikelihood", "r-b", 2),
    ]
