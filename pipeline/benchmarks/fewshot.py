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

Each task's pool is read by its own module (Task.fewshot_local); this module holds what they share.
"""

from __future__ import annotations

import dataclasses

from warehouse.records import Question

DEV_PREFIX = "dev-"  # source ids of pool questions whose ids are file positions (MedQA, MMLU)


def as_dev_question(question: Question) -> Question:
    """The question with its source id prefixed "dev-", so a pool id never equals a test id."""
    source_id = DEV_PREFIX + question.source_id
    return dataclasses.replace(question, id=f"{question.task}/{source_id}", source_id=source_id)


# Why a task has no few-shot pool here (MedMCQA): lm-evaluation-harness has no fewshot_split for it, so it
# samples the shots at random from the training split, which is not vendored.
TRAIN_SPLIT_FEWSHOT = (
    "lm-evaluation-harness samples {task} few-shot examples at random from the {dataset} train split, "
    "which is not vendored here; run {task} zero-shot (--shots 0)"
)
