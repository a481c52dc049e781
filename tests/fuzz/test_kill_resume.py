"""kill -9 at random points of `medlb eval` (real SmolLM2, 4 questions) and `medlb import lm-eval`, then a
resume, against a clean run (tests/fuzz/kill.py says what is compared). A few seeded trials here; the 20 + 20
of issue 14 are speed/kill_trials.py."""

from __future__ import annotations

import pytest

from tests.fuzz import kill

EVAL_TRIALS, IMPORT_TRIALS, SEED = 2, 2, 14


@pytest.mark.slow
def test_a_killed_eval_resumes_to_the_clean_runs_predictions(tmp_path):
    reference, trials = kill.eval_trials(tmp_path, EVAL_TRIALS, SEED, limit=4)
    assert len(reference.state["predictions"]) == 4
    assert [t.problems for t in trials] == [[]] * EVAL_TRIALS
    assert any(t.killed for t in trials)


def test_a_killed_import_resumes_to_the_clean_imports_rows(tmp_path):
    base = kill.resident_warehouse(tmp_path / "base.duckdb")
    reference, trials = kill.import_trials(tmp_path, base, IMPORT_TRIALS, SEED)
    assert len(reference.state["predictions"]) == 12 + 36  # the resident run's and the import's
    assert [t.problems for t in trials] == [[]] * IMPORT_TRIALS
    assert any(t.killed for t in trials)
