"""The judge set mapped onto K-QA's statements (pipeline.judging.judge_set), checked against the raw CSV."""

from __future__ import annotations

import csv
import json

from pipeline.benchmarks import kqa
from pipeline.benchmarks.paths import data_file
from pipeline.judging.judge_set import pair_targets


def test_each_pair_lands_on_its_models_answer_and_statement():
    targets = pair_targets()
    assert len(targets) == 385  # of 399: 14 not matched (PROVENANCE: 8 rows' questions are not among the 201)
    lines = data_file(kqa.QUESTIONS_FILE).read_text(encoding="utf-8").splitlines()
    with open(data_file(kqa.JUDGE_SET_FILE), encoding="utf-8", newline="") as f:
        rows = {f"kqa-judge-set/{r['']}": r for r in csv.DictReader(f)}
    for t in targets:
        row = rows[t.pair_id]
        _, line, kind, position = t.statement_id.split("/")
        record = json.loads(lines[int(line)])
        assert t.question_id == f"kqa/{line}" and record["Question"] == row["Question"]
        assert record[kind][int(position)].strip() == row["claim"].strip() and kind == t.kind == row["category_x"]
        assert t.model == kqa.JUDGE_SET_MODELS[row["llm_x"]]
    # one statement per (model, statement): a judge's verdicts never collide on an entry's statement
    assert len({(t.model, t.statement_id) for t in targets}) == len(targets)
