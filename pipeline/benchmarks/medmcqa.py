"""MedMCQA dev split (lm-eval calls it validation and scores it as the test set).

`cop` is 1-based in the authors' file and 0-based in the hub parquet; both become a 0-based gold here.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.benchmarks.errors import BenchmarkFormatError
from pipeline.benchmarks.fewshot import TRAIN_SPLIT_FEWSHOT
from pipeline.benchmarks.files import check_options, optional_text, read_jsonl, require, text_field, unique_source_ids
from pipeline.benchmarks.hub import HubDataset, fetch_file
from pipeline.benchmarks.paths import data_file
from pipeline.benchmarks.task import Task, Template
from warehouse.records import Question

NAME = "medmcqa"
OPTION_FIELDS = ("opa", "opb", "opc", "opd")
DEV_FILE = "medmcqa/dev.json"  # JSON Lines despite the extension

# lm-evaluation-harness medmcqa: dataset_path openlifescienceai/medmcqa, test_split validation.
HUB = HubDataset("openlifescienceai/medmcqa", "91c6572c454088bf71b679ad90aa8dffcd0d5868")
HUB_VALIDATION_FILE = "data/validation-00000-of-00001.parquet"


def parse_file(path: str | Path, task: str = NAME) -> list[Question]:
    rows = [(row, question_from_record(record, row, task, path, cop_base=1)) for row, record in read_jsonl(path)]
    return unique_source_ids(rows, path, "id")


def parse_hub_file(path: str | Path, task: str = NAME) -> list[Question]:
    import pyarrow.parquet as pq

    records = pq.read_table(path).to_pylist()
    rows = [(row, question_from_record(record, row, task, path, cop_base=0)) for row, record in enumerate(records)]
    return unique_source_ids(rows, path, "id")


def question_from_record(record: dict, row: int, task: str, path: str | Path, cop_base: int) -> Question:
    source_id = text_field(record, "id", path, row)
    text = text_field(record, "question", path, row)
    options = check_options(tuple(text_field(record, name, path, row) for name in OPTION_FIELDS), "opa..opd", path, row)
    cop = require(record, "cop", int, path, row)
    gold = cop - cop_base
    if not 0 <= gold < len(options):
        valid = f"{cop_base}-{cop_base + len(options) - 1}"
        raise BenchmarkFormatError(path, row, "cop", f"gold {cop} is not among the options ({valid} in this file)")
    return Question(
        id=f"{task}/{source_id}",
        task=task,
        source_id=source_id,
        text=text,
        options=options,
        golds=(gold,),
        subject=optional_text(record, "subject_name", path, row),
        topic=optional_text(record, "topic_name", path, row),
        explanation=optional_text(record, "exp", path, row),
    )


def load_local() -> list[Question]:
    return parse_file(data_file(DEV_FILE))


def load_hub(dataset: HubDataset, cache_dir) -> list[Question]:
    return parse_hub_file(fetch_file(dataset, HUB_VALIDATION_FILE, cache_dir))


def doc_content(doc: dict) -> tuple[None, str, list[str]]:
    return None, doc["question"], [doc[name] for name in OPTION_FIELDS]


def doc_source_id(doc: dict) -> str | None:
    return doc.get("id")


# lm-eval utils_medmcqa.doc_to_text
TEMPLATE = Template("Question: {question}\nChoices:\n{options}Answer:", "{letter}. {option}\n")

TASK = Task(
    name=NAME,
    benchmark="medmcqa",
    split="validation",
    language="en",
    task_group="omll",
    metric="acc",
    source=DEV_FILE,
    load_local=load_local,
    template=TEMPLATE,
    hub=HUB,
    hub_path=HUB_VALIDATION_FILE,
    load_hub=load_hub,
    no_fewshot_reason=TRAIN_SPLIT_FEWSHOT.format(task=NAME, dataset=HUB.repo_id),
    doc_content=doc_content,
    doc_source_id=doc_source_id,
)
