"""K-QA on the real vendored files: counts from PROVENANCE.md, stable ids, the judge set, the prompts, bad input."""

from __future__ import annotations

import collections
import csv
import json
from pathlib import Path

import pytest

from pipeline import benchmarks
from pipeline.benchmarks import kqa
from pipeline.benchmarks.errors import BenchmarkFormatError, UnknownTask

DATA = benchmarks.DATA_DIR / "kqa"


def test_counts_match_provenance():
    items = benchmarks.open_questions("kqa")
    assert len(items) == 201 and len({i.id for i in items}) == 201
    # PROVENANCE.md: 892 Must_have + 697 Nice_to_have; three Must_have entries are empty text.
    assert kqa.statement_counts(items) == {"Must_have": 892 - 3, "Nice_to_have": 697}
    assert kqa.skipped_empty_statements() == 3
    ids = [c.id for i in items for c in i.criteria]
    assert len(set(ids)) == len(ids) == 889 + 697
    assert benchmarks.get_task("kqa").open_ended and not benchmarks.get_task("medqa_4options").open_ended
    assert len(benchmarks.load_questions("kqa")) == 201


def test_ids_are_line_and_list_positions():
    items = benchmarks.open_questions("kqa")
    raw = [json.loads(line) for line in (DATA / "questions_w_answers.jsonl").read_text(encoding="utf-8").splitlines()]
    first = items[0]
    assert first.id == "kqa/0" and first.question.text == raw[0]["Question"]
    assert first.reference_answer == raw[0]["Free_form_answer"] == first.question.explanation
    must = [c for c in first.criteria if c.kind == "Must_have"]
    assert [c.text for c in must] == raw[0]["Must_have"]
    assert must[2].id == "kqa/0/Must_have/2"
    # Row 23's last Must_have is "": skipped, and the three before it keep positions 0..2.
    row23 = [c.id for c in items[23].criteria if c.kind == "Must_have"]
    assert row23 == [f"kqa/23/Must_have/{i}" for i in range(3)] and raw[23]["Must_have"][3] == ""
    assert collections.Counter(i.question.subject is None for i in items) == {False: 106, True: 95}


def test_judge_set_matches_provenance():
    pairs = kqa.load_judge_set()
    assert len(pairs) == 399 and [p.row for p in pairs] == list(range(399))
    assert collections.Counter(p.answer_model for p in pairs) == {"gpt4": 118, "gpt35": 101, "askk": 99, "bard": 81}
    assert collections.Counter(p.kind for p in pairs) == {"Must_have": 217, "Nice_to_have": 182}
    assert collections.Counter(p.majority for p in pairs) == {"Entailment": 153, "Neutral": 234, "Contradiction": 12}
    assert sum(len(set(p.labels)) == 1 for p in pairs) == 312
    assert len({p.question for p in pairs}) == 50
    with (DATA / "NLI_medical_annotator.csv").open(newline="", encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    assert (pairs[0].answer, pairs[0].statement) == (first["answer"], first["claim"])


def test_judge_prompts_fill_their_three_slots_only():
    prompts = kqa.judge_prompts()
    assert set(prompts) == {"entails", "contradicts"}
    entails = prompts["entails"]
    text = entails.render("Q {answer}?", "A {question} {llm_answer}", "S {x}")
    assert text.endswith(
        "Question: Q {answer}? Let's think step by step.\nPremise: A {question} {llm_answer}\nHypothesis: S {x}\nAnswer:"
    )
    assert text.startswith("# OVERALL INSTRUCTIONS") and text.count("###") == entails.text.count("###")
    assert entails.hash != prompts["contradicts"].hash and len(entails.hash) == 16


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


GOOD = {
    "Question": "Q?",
    "Free_form_answer": "A.",
    "Must_have": ["m"],
    "Nice_to_have": [],
    "Sources": "",
    "ICD_10_diag": None,
}


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        ({**GOOD, "Must_have": "m"}, "Must_have", "expected a list of statements, found str"),
        ({**GOOD, "Nice_to_have": [1]}, "Nice_to_have", "statement 0 is int, not a string"),
        ({**GOOD, "Question": "  "}, "Question", "empty text"),
        ({**GOOD, "Must_have": [" "]}, "Must_have", "no non-empty Must_have statement"),
    ],
)
def test_bad_rows_name_file_row_and_field(tmp_path, record, field, message):
    path = write_jsonl(tmp_path / "kqa.jsonl", [GOOD, record])
    with pytest.raises(BenchmarkFormatError) as error:
        kqa.parse_file(path)
    assert (error.value.path, error.value.row, error.value.field) == (str(path), 1, field)
    assert message in str(error.value)


def test_bad_judge_set_label(tmp_path):
    text = (DATA / "NLI_medical_annotator.csv").read_text(encoding="utf-8").replace(",Entailment\n", ",Entailed\n", 1)
    path = tmp_path / "nli.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BenchmarkFormatError, match="'Entailed' is not one of") as error:
        kqa.parse_judge_set(path)
    assert (error.value.row, error.value.field) == (1, "label_2")


def test_open_questions_refuses_a_choice_task():
    with pytest.raises(UnknownTask, match="multiple-choice"):
        benchmarks.open_questions("medqa_4options")
