"""FrenchMedMCQA: French pharmacy exam questions, 5 options a-e, ONE OR MORE correct (golds holds them all).

Not an lm-evaluation-harness task, so there is no hub copy to match: only the vendored release is read.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.benchmarks.errors import BenchmarkFormatError
from pipeline.benchmarks.files import (
    JSON_SYNTAX,
    check_options,
    optional_text,
    read_json,
    require,
    text_field,
    unique_source_ids,
)
from pipeline.benchmarks.paths import data_file
from pipeline.benchmarks.task import Task, Template
from warehouse.records import LETTERS, Question

NAME = "frenchmedmcqa"
KEYS = tuple(LETTERS[:5].lower())  # the file names the options a-e
TEST_FILE = "frenchmedmcqa/test.json"
DEV_FILE = "frenchmedmcqa/dev.json"


def parse_file(path: str | Path, task: str = NAME) -> list[Question]:
    records = read_json(path)
    if not isinstance(records, list):
        raise BenchmarkFormatError(path, 0, JSON_SYNTAX, "expected a JSON array of questions")
    rows = [(row, question_from_record(record, row, task, path)) for row, record in enumerate(records)]
    return unique_source_ids(rows, path, "id")


def question_from_record(record: object, row: int, task: str, path: str | Path) -> Question:
    if not isinstance(record, dict):
        raise BenchmarkFormatError(path, row, "<item>", f"expected an object, found {type(record).__name__}")
    source_id = text_field(record, "id", path, row)
    text = text_field(record, "question", path, row)
    answers = require(record, "answers", dict, path, row)
    if tuple(answers) != KEYS:
        raise BenchmarkFormatError(path, row, "answers", f"expected keys a-e in order, found {list(answers)}")
    options = check_options(tuple(answers.values()), "answers", path, row)
    correct = require(record, "correct_answers", list, path, row)
    if not correct or any(letter not in KEYS for letter in correct):
        raise BenchmarkFormatError(path, row, "correct_answers", f"gold {correct} is not a non-empty subset of a-e")
    if len(set(correct)) != len(correct):
        raise BenchmarkFormatError(path, row, "correct_answers", f"gold {correct} repeats a letter")
    count = record.get("nbr_correct_answers")
    if count is not None and count != len(correct):
        raise BenchmarkFormatError(
            path, row, "nbr_correct_answers", f"says {count} correct answers but correct_answers lists {len(correct)}"
        )
    return Question(
        id=f"{task}/{source_id}",
        task=task,
        source_id=source_id,
        text=text,
        options=options,
        golds=tuple(sorted(KEYS.index(letter) for letter in correct)),
        subject=optional_text(record, "subject_name", path, row),
    )


def load_local() -> list[Question]:
    return parse_file(data_file(TEST_FILE))


def dev_questions() -> list[Question]:
    return parse_file(data_file(DEV_FILE))


# Ours (not an lm-eval task): the MMLU layout in French, letters A-E.
TEMPLATE = Template(
    "Question : {question}\n{options}Réponse :",
    "{letter}. {option}\n",
    "Voici des questions à choix multiples (avec réponses) de {subject}. "
    "Une ou plusieurs réponses peuvent être correctes.\n\n",
)

TASK = Task(
    name=NAME,
    benchmark="frenchmedmcqa",
    split="test",
    language="fr",
    task_group="french",
    metric="emr",
    source=TEST_FILE,
    load_local=load_local,
    template=TEMPLATE,
    fewshot_local=dev_questions,
    multi_answer=True,
)
