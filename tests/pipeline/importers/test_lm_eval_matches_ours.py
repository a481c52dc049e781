"""An lm-eval run imported, and our own run of the same model on the same questions, give the same answers.

The fixture was produced by lm-eval 0.4.13 on SmolLM2-135M-Instruct (GGUF dequantized to fp32 and
saved as safetensors); our run loads the same GGUF through the packaged alias. Same weights, same
prompts (lm-eval's built-in templates), so every question must get the same answer, with
per-choice log-likelihoods equal to float32 noise. Measured when written: 36 of 36 questions
agree, largest difference 2.1e-5, every prompt byte-identical (same prompt hash).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline import benchmarks
from pipeline.importers.lm_eval import import_lm_eval
from pipeline.run import EvalConfig, evaluate

pytestmark = pytest.mark.slow
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "lm_eval" / "output"


def answers(path, run_id):
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT question_id, pred, loglikelihoods, prompt_hash, correct FROM predictions WHERE run_id = ?", [run_id]
        ).fetchall()
    finally:
        con.close()
    return {qid: (pred, lls, prompt_hash, correct) for qid, pred, lls, prompt_hash, correct in rows}


def test_imported_lm_eval_run_and_our_run_agree_question_by_question(tmp_path, smollm2_backend):
    path = tmp_path / "w.duckdb"
    report = import_lm_eval(path, FIXTURE)
    imported = answers(path, report.run_ids[0])
    assert len(imported) == 36

    ours = evaluate(
        EvalConfig(
            model="smollm2-135m-instruct",
            tasks=list(benchmarks.OMLL_TASKS),
            warehouse=str(path),
            question_ids=tuple(imported),
        ),
        backend=smollm2_backend,
        progress=False,
    )
    mine = answers(path, ours.run_id)
    assert sorted(mine) == sorted(imported)
    for qid, (pred, lls, prompt_hash, correct) in imported.items():
        my_pred, my_lls, my_prompt_hash, my_correct = mine[qid]
        assert my_prompt_hash == prompt_hash, f"{qid}: our prompt differs from lm-eval's"
        assert my_lls == pytest.approx(lls, abs=1e-3), qid
        assert (my_pred, my_correct) == (pred, correct), qid
