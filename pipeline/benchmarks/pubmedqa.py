"""PubMedQA PQA-L, the 500 official test PMIDs (reasoning-required: question + abstract without conclusion)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from pipeline.benchmarks.errors import BenchmarkFormatError
from pipeline.benchmarks.files import JSON_SYNTAX, check_length, read_json, require, text_field
from pipeline.benchmarks.hub import HubDataset, fetch_file
from pipeline.benchmarks.paths import data_file
from pipeline.benchmarks.task import Task, Template
from warehouse.records import Question

NAME = "pubmedqa"
OPTIONS = ("yes", "no", "maybe")
TEST_FILE = "pubmedqa/test_set.json"
GROUND_TRUTH_FILE = "pubmedqa/test_ground_truth.json"
PQAL_FILE = "pubmedqa/ori_pqal.json"

# lm-evaluation-harness pubmedqa: dataset_path bigbio/pubmed_qa, dataset_name pubmed_qa_labeled_fold0_source,
# test_split test. That config's test split is pqal_test_set.json inside the repo's pqal.zip (the same 500
# PMIDs in the same format as test_set.json). The datasets-library view drops the PMIDs (they are only the
# example keys), so the zip is read directly. No commit sha of this repo could be verified offline, so the
# revision is the branch; pass revision= to pin one.
HUB = HubDataset("bigbio/pubmed_qa", "main", "pubmed_qa_labeled_fold0_source")
HUB_ARCHIVE = "pqal.zip"
HUB_TEST_MEMBER = "pqal_test_set.json"


def parse_files(test_path: str | Path, ground_truth_path: str | Path, task: str = NAME) -> list[Question]:
    """Questions from test_set.json, their labels checked against the official test_ground_truth.json."""
    questions = parse_items(read_json(test_path), test_path, task)
    truth = read_json(ground_truth_path)
    if not isinstance(truth, dict):
        raise BenchmarkFormatError(ground_truth_path, 0, JSON_SYNTAX, "expected one object mapping PMID -> label")
    missing = [q.source_id for q in questions if q.source_id not in truth]
    if missing or len(truth) != len(questions):
        extra = sorted(set(truth) - {q.source_id for q in questions})
        row = missing[0] if missing else extra[0]
        raise BenchmarkFormatError(
            ground_truth_path, row, "<pmid>", "the PMIDs of the test set and of its ground truth differ"
        )
    for question in questions:
        if truth[question.source_id] != OPTIONS[question.gold]:
            raise BenchmarkFormatError(
                test_path,
                question.source_id,
                "final_decision",
                f"label {OPTIONS[question.gold]!r} disagrees with the ground truth {truth[question.source_id]!r}",
            )
    return questions


def parse_hub_archive(path: str | Path, task: str = NAME) -> list[Question]:
    with zipfile.ZipFile(path) as archive:
        # The bigbio script reads it at the archive root; accept a top folder too, as unzip tools differ.
        names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == HUB_TEST_MEMBER]
        if not names:
            raise BenchmarkFormatError(
                path,
                0,
                "<archive>",
                f"no {HUB_TEST_MEMBER} in the archive",
                "pass the revision of bigbio/pubmed_qa whose pqal.zip has it",
            )
        member = f"{path}!{names[0]}"
        raw = archive.read(names[0])
    try:
        items = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BenchmarkFormatError(member, 0, JSON_SYNTAX, f"unreadable archive member: {error}") from None
    return parse_items(items, member, task)


def parse_items(items: object, path: str | Path, task: str) -> list[Question]:
    if not isinstance(items, dict):
        raise BenchmarkFormatError(path, 0, JSON_SYNTAX, "expected one object mapping PMID -> item")
    return [question_from_item(pmid, item, path, task) for pmid, item in items.items()]


def question_from_item(pmid: str, item: object, path: str | Path, task: str) -> Question:
    if not isinstance(item, dict):
        raise BenchmarkFormatError(path, pmid, "<item>", f"expected an object, found {type(item).__name__}")
    text = text_field(item, "QUESTION", path, pmid)
    contexts = require(item, "CONTEXTS", list, path, pmid)
    if not contexts or not all(isinstance(c, str) and c.strip() for c in contexts):
        raise BenchmarkFormatError(path, pmid, "CONTEXTS", "expected a non-empty list of non-empty strings")
    check_length("\n".join(contexts), "CONTEXTS", path, pmid)
    decision = text_field(item, "final_decision", path, pmid)
    if decision not in OPTIONS:
        raise BenchmarkFormatError(path, pmid, "final_decision", f"gold {decision!r} is not among yes/no/maybe")
    return Question(
        id=f"{task}/{pmid}",
        task=task,
        source_id=pmid,
        text=text,
        options=OPTIONS,
        golds=(OPTIONS.index(decision),),
        context="\n".join(contexts),
    )


def load_local() -> list[Question]:
    return parse_files(data_file(TEST_FILE), data_file(GROUND_TRUTH_FILE))


def load_hub(dataset: HubDataset, cache_dir) -> list[Question]:
    return parse_hub_archive(fetch_file(dataset, HUB_ARCHIVE, cache_dir))


def pqal_train(task: str = NAME) -> list[Question]:
    """The 500 PQA-L items of ori_pqal.json whose PMIDs are not test PMIDs, in ori_pqal.json's order.

    PubMedQA's own split script (preprocess/split_dataset.py pqal) makes the other 500 the train/dev pool;
    checking that the test items are in ori_pqal.json unchanged keeps the two files from drifting apart.
    """
    path = data_file(PQAL_FILE)
    pqal = {q.source_id: q for q in parse_items(read_json(path), path, task)}
    test = {q.source_id: q for q in parse_files(data_file(TEST_FILE), data_file(GROUND_TRUTH_FILE), task)}
    for pmid, question in test.items():
        if pmid in pqal and pqal[pmid] != question:
            raise BenchmarkFormatError(
                path, pmid, "<item>", "differs from the same PMID in test_set.json; both must be the published files"
            )
    missing = [pmid for pmid in test if pmid not in pqal]
    if missing:
        raise BenchmarkFormatError(path, missing[0], "<pmid>", "a test PMID is missing from ori_pqal.json")
    return [question for pmid, question in pqal.items() if pmid not in test]


def doc_content(doc: dict) -> tuple[str, str, list[str]]:
    return "\n".join(doc["CONTEXTS"]), doc["QUESTION"], list(OPTIONS)


def doc_source_id(doc: dict) -> str | None:
    return str(doc["pubid"]) if doc.get("pubid") is not None else None


# lm-eval preprocess_pubmedqa.doc_to_text; the answer words themselves are scored.
TEMPLATE = Template("Abstract: {context}\nQuestion: {question}\nAnswer:", choices="options")

TASK = Task(
    name=NAME,
    benchmark="pubmedqa",
    split="test",
    language="en",
    task_group="omll",
    metric="acc",
    source=TEST_FILE,
    load_local=load_local,
    template=TEMPLATE,
    hub=HUB,
    hub_path=f"{HUB_ARCHIVE}!{HUB_TEST_MEMBER}",
    load_hub=load_hub,
    fewshot_local=pqal_train,
    doc_content=doc_content,
    doc_source_id=doc_source_id,
    permutable=False,  # the prompt shows no options: rotating them changes nothing the model sees
)
