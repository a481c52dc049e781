"""MedQA (USMLE, English, 4 options): the authors' JSON Lines, or lm-eval's hub copy in SWAG layout.

The files carry no question ids, so the source id is the 0-based line of the published test file.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.benchmarks.errors import BenchmarkFormatError
from pipeline.benchmarks.fewshot import as_dev_question
from pipeline.benchmarks.files import check_options, optional_text, read_jsonl, require, text_field
from pipeline.benchmarks.hub import HubDataset, fetch_file
from pipeline.benchmarks.paths import data_file
from pipeline.benchmarks.task import Task, Template
from warehouse.records import LETTERS, Question

NAME = "medqa_4options"
OPTION_KEYS = tuple(LETTERS[:4])
TEST_FILE = "medqa/phrases_no_exclude_test.jsonl"
DEV_FILE = "medqa/phrases_no_exclude_dev.jsonl"

# lm-evaluation-harness medqa_4options: dataset_path GBaker/MedQA-USMLE-4-options-hf, test_split test.
HUB = HubDataset("GBaker/MedQA-USMLE-4-options-hf", "17af9355ef89fba60de966eabaeba797c695f86e")
HUB_TEST_FILE = "test.json"  # JSON Lines despite the name: id, sent1, sent2, ending0..3, label (0-based)


def parse_file(path: str | Path, task: str = NAME) -> list[Question]:
    return [question_from_record(record, row, task, path) for row, record in read_jsonl(path)]


def question_from_record(record: dict, row: int, task: str, path: str | Path) -> Question:
    text = text_field(record, "question", path, row)
    raw_options = require(record, "options", dict, path, row)
    if tuple(raw_options) != OPTION_KEYS:
        raise BenchmarkFormatError(
            path, row, "options", f"expected keys A, B, C, D in order, found {list(raw_options)}"
        )
    options = check_options(tuple(raw_options.values()), "options", path, row)
    answer_letter = text_field(record, "answer_idx", path, row)
    if answer_letter not in OPTION_KEYS:
        raise BenchmarkFormatError(path, row, "answer_idx", f"gold {answer_letter!r} is not among the options A-D")
    gold = OPTION_KEYS.index(answer_letter)
    # The file states the answer twice; disagreement means a corrupted copy, not a question to score.
    answer_text = record.get("answer")
    if answer_text is not None and answer_text != options[gold]:
        raise BenchmarkFormatError(path, row, "answer", f"answer text does not match option {answer_letter}")
    return Question(
        id=f"{task}/{row}",
        task=task,
        source_id=str(row),
        text=text,
        options=options,
        golds=(gold,),
        subject=optional_text(record, "meta_info", path, row),
    )


def parse_hub_file(path: str | Path, task: str = NAME) -> list[Question]:
    """GBaker's copy keeps the original line order but not meta_info: the row is the source id, subject is None."""
    questions = []
    for row, record in read_jsonl(path):
        text = text_field(record, "sent1", path, row)
        options = check_options(
            tuple(text_field(record, f"ending{i}", path, row) for i in range(4)), "ending", path, row
        )
        label = require(record, "label", int, path, row)
        if not 0 <= label < len(options):
            raise BenchmarkFormatError(path, row, "label", f"gold {label} is not among the options 0-3")
        questions.append(
            Question(id=f"{task}/{row}", task=task, source_id=str(row), text=text, options=options, golds=(label,))
        )
    return questions


def load_local() -> list[Question]:
    return parse_file(data_file(TEST_FILE))


def load_hub(dataset: HubDataset, cache_dir) -> list[Question]:
    return parse_hub_file(fetch_file(dataset, HUB_TEST_FILE, cache_dir))


def dev_questions() -> list[Question]:
    """The 1272 MedQA dev vignettes; ids "medqa_4options/dev-<line>" so they never meet test line numbers."""
    return [as_dev_question(q) for q in parse_file(data_file(DEV_FILE))]


def doc_content(doc: dict) -> tuple[None, str, list[str]]:
    if "sent1" in doc:  # GBaker/MedQA-USMLE-4-options-hf (SWAG layout)
        return None, doc["sent1"], [doc[f"ending{i}"] for i in range(4)]
    return None, doc["question"], list(doc["options"].values())  # the authors' JSON Lines


# lm-eval preprocess_medqa.doc_to_text
TEMPLATE = Template("Question: {question}\n{options}Answer:", "{letter}. {option}\n")

TASK = Task(
    name=NAME,
    benchmark="medqa",
    split="test",
    language="en",
    task_group="omll",
    metric="acc",
    source=TEST_FILE,
    load_local=load_local,
    template=TEMPLATE,
    hub=HUB,
    hub_path=HUB_TEST_FILE,
    load_hub=load_hub,
    fewshot_local=dev_questions,
    doc_content=doc_content,
    counterfactual_eligible=True,
)
