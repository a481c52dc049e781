"""MMLU, the six medical subjects: headerless CSVs (question, A, B, C, D, answer letter) per subject and split.

No ids in the files: the source id is the 0-based CSV record (not line: some fields span lines) of the
test file, and "dev-<record>" for the dev (few-shot) file so that shots never share an id with a test question.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from pipeline.benchmarks.errors import BenchmarkFormatError
from pipeline.benchmarks.files import check_length, check_options, read_csv, require, text_field
from pipeline.benchmarks.hub import HubDataset, fetch_file
from pipeline.benchmarks.paths import data_file
from pipeline.benchmarks.task import Task, Template
from warehouse.records import LETTERS, Question

SUBJECTS = (
    "anatomy",
    "clinical_knowledge",
    "college_biology",
    "college_medicine",
    "medical_genetics",
    "professional_medicine",
)
ANSWER_LETTERS = tuple(LETTERS[:4])  # the values of the answer column

# lm-evaluation-harness mmlu (default): dataset_path cais/mmlu, dataset_name <subject>, test_split test,
# fewshot_split dev with the first_n sampler. The parquet rows keep the CSV order (the copy carries no
# source ids, so the row order is what ties a hub row to its CSV record).
HUB = HubDataset("cais/mmlu", "c30699e8356da336a370243923dbaf21066bb9fe")


def task_name(subject: str) -> str:
    return f"mmlu_{subject}"


def local_file(subject: str, split: str) -> str:
    return f"mmlu/{split}/{subject}_{split}.csv"


def hub_file(subject: str, split: str) -> str:
    return f"{subject}/{split}-00000-of-00001.parquet"


def parse_file(path: str | Path, subject: str, task: str | None = None, split: str = "test") -> list[Question]:
    task = task or task_name(subject)
    questions = []
    for row, (text, *options, answer) in enumerate(read_csv(path, columns=6)):
        if not text.strip():
            raise BenchmarkFormatError(path, row, "question", "empty text")
        check_length(text, "question", path, row)
        check_options(tuple(options), "A..D", path, row)
        if answer not in ANSWER_LETTERS:
            raise BenchmarkFormatError(path, row, "answer", f"gold {answer!r} is not among the options A-D")
        questions.append(_question(task, subject, split, row, text, tuple(options), ANSWER_LETTERS.index(answer)))
    return questions


def parse_hub_file(path: str | Path, subject: str, task: str | None = None, split: str = "test") -> list[Question]:
    import pyarrow.parquet as pq

    task = task or task_name(subject)
    questions = []
    for row, record in enumerate(pq.read_table(path).to_pylist()):
        text = text_field(record, "question", path, row)
        options = check_options(tuple(require(record, "choices", list, path, row)), "choices", path, row)
        answer = require(record, "answer", int, path, row)
        if not 0 <= answer < len(options):
            raise BenchmarkFormatError(
                path, row, "answer", f"gold {answer} is not among the options 0-{len(options) - 1}"
            )
        questions.append(_question(task, subject, split, row, text, options, answer))
    return questions


def _question(
    task: str, subject: str, split: str, row: int, text: str, options: tuple[str, ...], gold: int
) -> Question:
    source_id = str(row) if split == "test" else f"{split}-{row}"
    return Question(
        id=f"{task}/{source_id}",
        task=task,
        source_id=source_id,
        text=text,
        options=options,
        golds=(gold,),
        subject=subject,
    )


def load_split(subject: str, split: str) -> list[Question]:
    """The subject's test questions, or its 5 dev questions (ids "mmlu_<subject>/dev-<record>")."""
    return parse_file(data_file(local_file(subject, split)), subject, split=split)


def load_hub_split(subject: str, split: str, dataset: HubDataset, cache_dir) -> list[Question]:
    return parse_hub_file(fetch_file(dataset, hub_file(subject, split), cache_dir), subject, split=split)


def doc_content(doc: dict) -> tuple[None, str, list[str]]:
    return None, doc["question"], list(doc["choices"])


# lm-eval mmlu/default/_default_template_yaml: the description names the subject; doc_to_text strips.
TEMPLATE = Template(
    "{question_stripped}\n{options}Answer:",
    "{letter}. {option}\n",
    "The following are multiple choice questions (with answers) about {subject}.\n\n",
)


def subject_task(subject: str) -> Task:
    return Task(
        name=task_name(subject),
        benchmark="mmlu",
        split="test",
        language="en",
        task_group="omll",
        metric="acc",
        source=local_file(subject, "test"),
        load_local=partial(load_split, subject, "test"),
        template=TEMPLATE,
        hub=HUB,
        hub_path=hub_file(subject, "test"),
        load_hub=partial(load_hub_split, subject, "test"),
        fewshot_local=partial(load_split, subject, "dev"),
        fewshot_hub=partial(load_hub_split, subject, "dev"),
        doc_content=doc_content,
    )


TASKS = tuple(subject_task(subject) for subject in SUBJECTS)
