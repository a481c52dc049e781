"""kill -9 at random points of `medlb eval` (real SmolLM2, 4 questions) and `medlb import lm-eval`, then a
resume, against a clean run (tests/fuzz/kill.py says what is compared). One seeded random import trial and
one killed inside the import's transaction here (a killed eval is tests/pipeline/test_eval_e2e.py's); the
20 + 20 of issue 14 are speed/kill_trials.py."""

from __future__ import annotations

import shutil

from tests.fuzz import kill
from tests.helpers import query

IMPORT_TRIALS, SEED = 1, 14


def test_a_killed_import_resumes_to_the_clean_imports_rows(tmp_path):
    base = kill.resident_warehouse(tmp_path / "base.duckdb")
    reference, trials = kill.import_trials(tmp_path, base, IMPORT_TRIALS, SEED)
    assert len(reference.state["predictions"]) == 12 + 36  # the resident run's and the import's
    assert [t.problems for t in trials] == [[]] * IMPORT_TRIALS
    assert any(t.killed for t in trials)
    # the same import, killed after every INSERT of its transaction ran and before the commit
    warehouse = tmp_path / "inside.duckdb"
    shutil.copy(base, warehouse)
    inside = kill.transaction_trial(kill.import_args(warehouse), warehouse, reference)
    assert inside.killed and inside.problems == []
    assert query(warehouse, "SELECT count(*) FROM predictions") == [(48,)]
