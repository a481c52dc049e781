"""Few-shot pools: the questions each task's few-shot examples are taken from, in file order.

The run takes the first K of a task's pool (prompts.FEWSHOT_SAMPLER = "first_n", recorded in every run's
settings as fewshot_sampler), so a few-shot prompt is the same on every machine and every rerun.

    task               pool (vendored file)                         size   lm-evaluation-harness 0.4
    mmlu_<subject>     MMLU dev split, mmlu/dev/<subject>_dev.csv       5   same: fewshot_split dev, first_n
    frenchmedmcqa      its dev split, frenchmedmcqa/dev.json          312   (not an lm-eval task)
    medqa_4options     MedQA dev split, phrases_no_exclude_dev.jsonl 1272   random K of the train split
    pubmedqa           PQA-L minus the 500 test PMIDs, ori_pqal.json  500   random K of bigbio fold0 train
    headqa_es / _en    HEAD-QA dev split, dev_HEAD*.json (no image)  1336   random K of the train split
    medmcqa            none: NoFewshotSplit                             -   random K of the train split

lm-evaluation-harness has no fewshot_split for medqa_4options, pubmedqa and headqa: it samples their
shots at random (seed 1234) from the train split, which is not vendored here. So here the first K of
the named split stand in for them, and the run records fewshot_sampler "first_n": such few-shot numbers
are comparable between runs of this project, not to lm-eval's few-shot numbers for those tasks. MMLU's
pool is exactly lm-eval's. MedMCQA's only vendored split is the dev split the task itself evaluates (its
train split is not vendored), so it has no pool and the run skips it when shots are asked for.

Pool questions never share an id with a test question (a prompt never shows a question its own answer):
MedQA and MMLU ids are positions in their file, so their pool ids are "<task>/dev-<row>"; PubMedQA PMIDs,
HEAD-QA "<exam>-<qid>" (dev exams are the 2015 ones, test 2016-2017) and FrenchMedMCQA hashes are the
dataset's own ids and are unique across splits.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline.benchmarks import frenchmedmcqa, headqa, medqa, mmlu, pubmedqa
from pipeline.benchmarks.errors import BenchmarkFormatError
from pipeline.benchmarks.files import read_json
from warehouse.records import Question

# The same folder as registry.DATA_DIR; defined here too because the registry imports this module.
DATA_DIR = Path(__file__).resolve().parent / "data"

MEDQA_DEV_FILE = "medqa/phrases_no_exclude_dev.jsonl"
PUBMEDQA_PQAL_FILE = "pubmedqa/ori_pqal.json"
HEADQA_DEV_FILES = {"headqa_es": "headqa/es/dev_HEAD.json", "headqa_en": "headqa/en/dev_HEAD_EN.json"}
DEV_PREFIX = "dev-"  # source ids of pool questions whose ids are file positions (MedQA, MMLU)


def mmlu_dev(subject: str) -> list[Question]:
    """The subject's 5 dev questions, ids "mmlu_<subject>/dev-<record>" (mmlu.parse_file's split rule)."""
    return mmlu.parse_file(DATA_DIR / mmlu.local_file(subject, "dev"), subject, split="dev")


def frenchmedmcqa_dev() -> list[Question]:
    return frenchmedmcqa.parse_file(DATA_DIR / frenchmedmcqa.DEV_FILE)


def medqa_dev(task: str = medqa.TASK) -> list[Question]:
    """The 1272 MedQA dev vignettes; ids "medqa_4options/dev-<line>" so they never meet test line numbers."""
    return [_dev_id(q) for q in medqa.parse_file(DATA_DIR / MEDQA_DEV_FILE, task)]


def pubmedqa_pqal_train(task: str = pubmedqa.TASK) -> list[Question]:
    """The 500 PQA-L items of ori_pqal.json whose PMIDs are not test PMIDs, in ori_pqal.json's order.

    PubMedQA's own split script (preprocess/split_dataset.py pqal) makes the other 500 the train/dev pool;
    checking that the test items are in ori_pqal.json unchanged keeps the two files from drifting apart.
    """
    path = DATA_DIR / PUBMEDQA_PQAL_FILE
    pqal = {q.source_id: q for q in pubmedqa.parse_items(read_json(path), path, task)}
    test = {q.source_id: q for q in _pubmedqa_test(task)}
    for pmid, question in test.items():
        if pmid in pqal and pqal[pmid] != question:
            raise BenchmarkFormatError(path, pmid, "<item>",
                                       "differs from the same PMID in test_set.json; both must be the published files")
    missing = [pmid for pmid in test if pmid not in pqal]
    if missing:
        raise BenchmarkFormatError(path, missing[0], "<pmid>", "a test PMID is missing from ori_pqal.json")
    return [question for pmid, question in pqal.items() if pmid not in test]


def headqa_dev(task: str) -> list[Question]:
    """The task's dev questions (2015 exams) without those that show an image, as the test split is read."""
    return headqa.parse_file(DATA_DIR / HEADQA_DEV_FILES[task], task).questions


def headqa_dev_excluded(task: str) -> int:
    """Dev questions left out of the pool because they refer to an image (30 in each language)."""
    return len(headqa.parse_file(DATA_DIR / HEADQA_DEV_FILES[task], task).excluded_ids)


def _pubmedqa_test(task: str) -> list[Question]:
    return pubmedqa.parse_files(DATA_DIR / pubmedqa.TEST_FILE, DATA_DIR / pubmedqa.GROUND_TRUTH_FILE, task)


def _dev_id(question: Question) -> Question:
    source_id = DEV_PREFIX + question.source_id
    return dataclasses.replace(question, id=f"{question.task}/{source_id}", source_id=source_id)
