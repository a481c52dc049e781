"""K-QA's physician-judged commercial answers imported as entries: counts, idempotence, and each model's
comprehensiveness recomputed straight from the CSV (not from the warehouse)."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from pipeline.benchmarks import DATA_DIR
from pipeline.judging.physicians import JUDGE_ID, import_physicians
from tests.helpers import query


def comprehensiveness_from_csv() -> dict[str, float]:
    """Per model: mean over its answers of (labelled Must_have pairs with majority Entailment / labelled Must_have)."""
    per_answer: dict[tuple[str, str], list[bool]] = defaultdict(list)
    with (DATA_DIR / "kqa" / "NLI_medical_annotator.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["category_x"] == "Must_have":
                per_answer[(row["llm_x"], row["Question"])].append(row["majority_label"] == "Entailment")
    by_model: dict[str, list[float]] = defaultdict(list)
    for (model, _), entailed in per_answer.items():
        by_model[model].append(sum(entailed) / len(entailed))
    return {model: sum(v) / len(v) for model, v in by_model.items()}


def test_import_physicians(tmp_path):
    path = tmp_path / "p.duckdb"
    first = import_physicians(path)
    assert (first.models, first.answers, first.judgments_added, first.pairs_unmatched) == (4, 48, 2 * 385, 14)
    again = import_physicians(path)
    assert (again.answers, again.judgments_added) == (0, 0)
    rows = query(
        path,
        "SELECT mv.model_id, avg(c) FROM (SELECT j.run_id, j.question_id, avg((j.verdict = 'true')::INT) AS c "
        "FROM judgments j JOIN statements s USING (statement_id) WHERE j.judge_id = ? AND j.relation = 'entails' "
        "AND s.kind = 'Must_have' GROUP BY ALL) JOIN runs r USING (run_id) "
        "JOIN model_versions mv USING (version_id) GROUP BY 1",
        [JUDGE_ID],
    )
    names = {"GPT-4": "gpt4", "GPT-3.5": "gpt35", "Bard": "bard", "K Health (AskK)": "askk"}
    expected = comprehensiveness_from_csv()
    assert {names[m]: v for m, v in rows} == pytest.approx(expected, abs=0.03)  # 14 unmatched pairs left out
