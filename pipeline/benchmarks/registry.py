"""The task table: for every task name, what it is, where its data lives and how each source is read.

A task is data plus a parse function per source; adding one is one `TaskSpec` here and one small
module beside this file.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable

from pipeline.benchmarks import fewshot, frenchmedmcqa, headqa, medmcqa, medqa, mmlu, pubmedqa
from pipeline.benchmarks.errors import HubUnavailable
from pipeline.benchmarks.hub import HubDataset, fetch_file, fetch_snapshot
from warehouse.records import Question

DATA_DIR = Path(__file__).resolve().parent / "data"

HubLoader = Callable[[HubDataset, "str | Path | None"], list[Question]]

# Why a task has no few-shot pool here (MedMCQA): lm-evaluation-harness has no fewshot_split for it, so it
# samples the shots at random from the training split, which is not vendored. The pools of the other
# tasks, and why they differ from lm-eval's, are in fewshot.py.
TRAIN_SPLIT_FEWSHOT = (
    "lm-evaluation-harness samples {task} few-shot examples at random from the {dataset} train split, "
    "which is not vendored here; run {task} zero-shot (--shots 0)"
)


@dataclass(frozen=True)
class TaskSpec:
    task: str
    benchmark: str
    split: str
    language: str
    task_group: str  # omll | french | spanish | extra
    metric: str  # acc | emr (exact match of the set of correct options)
    source: str  # the vendored file the questions come from, relative to DATA_DIR
    load_local: Callable[[], list[Question]]
    hub: HubDataset | None = None
    hub_path: str = ""  # the file (or folder) read from the hub copy
    load_hub: HubLoader | None = None
    fewshot_local: Callable[[], list[Question]] | None = None  # fewshot.py: the pool, in file order
    fewshot_hub: HubLoader | None = None
    no_fewshot_reason: str = ""


def _medqa_hub(dataset: HubDataset, cache_dir) -> list[Question]:
    return medqa.parse_hub_file(fetch_file(dataset, medqa.HUB_TEST_FILE, cache_dir))


def _medmcqa_hub(dataset: HubDataset, cache_dir) -> list[Question]:
    return medmcqa.parse_hub_file(fetch_file(dataset, medmcqa.HUB_VALIDATION_FILE, cache_dir))


def _pubmedqa_hub(dataset: HubDataset, cache_dir) -> list[Question]:
    return pubmedqa.parse_hub_archive(fetch_file(dataset, pubmedqa.HUB_ARCHIVE, cache_dir))


def _mmlu_local(subject: str, split: str) -> list[Question]:
    return mmlu.parse_file(DATA_DIR / mmlu.local_file(subject, split), subject, split=split)


def _mmlu_hub(subject: str, split: str, dataset: HubDataset, cache_dir) -> list[Question]:
    return mmlu.parse_hub_file(fetch_file(dataset, mmlu.hub_file(subject, split), cache_dir), subject, split=split)


@lru_cache(maxsize=None)
def headqa_split(task: str) -> headqa.HeadQASplit:
    return headqa.parse_file(DATA_DIR / headqa.TEST_FILES[task], task)


def _headqa_local(task: str) -> list[Question]:
    return headqa_split(task).questions


def _headqa_hub(task: str, dataset: HubDataset, cache_dir) -> list[Question]:
    config = dataset.config or headqa.LANGUAGES[task]
    snapshot = fetch_snapshot(dataset, [f"{config}/*"], cache_dir)
    paths = headqa.find_hub_split(snapshot, config, "test")
    if not paths:
        raise HubUnavailable(f"no parquet files for {config}/test in {dataset.uri()}; pass the revision that has "
                             "them (e.g. revision='refs/convert/parquet') or use source='local'")
    return headqa.parse_hub_files(paths, task, headqa_split(task).excluded_ids)


def _specs() -> dict[str, TaskSpec]:
    specs = [
        TaskSpec("medqa_4options", "medqa", "test", "en", "omll", "acc", medqa.TEST_FILE,
                 partial(medqa.parse_file, DATA_DIR / medqa.TEST_FILE), medqa.HUB, medqa.HUB_TEST_FILE, _medqa_hub,
                 fewshot_local=fewshot.medqa_dev),
        TaskSpec("medmcqa", "medmcqa", "validation", "en", "omll", "acc", medmcqa.DEV_FILE,
                 partial(medmcqa.parse_file, DATA_DIR / medmcqa.DEV_FILE), medmcqa.HUB, medmcqa.HUB_VALIDATION_FILE,
                 _medmcqa_hub,
                 no_fewshot_reason=TRAIN_SPLIT_FEWSHOT.format(task="medmcqa", dataset=medmcqa.HUB.repo_id)),
        TaskSpec("pubmedqa", "pubmedqa", "test", "en", "omll", "acc", pubmedqa.TEST_FILE,
                 partial(pubmedqa.parse_files, DATA_DIR / pubmedqa.TEST_FILE, DATA_DIR / pubmedqa.GROUND_TRUTH_FILE),
                 pubmedqa.HUB, f"{pubmedqa.HUB_ARCHIVE}!{pubmedqa.HUB_TEST_MEMBER}", _pubmedqa_hub,
                 fewshot_local=fewshot.pubmedqa_pqal_train),
    ]
    for subject in mmlu.SUBJECTS:
        specs.append(TaskSpec(
            mmlu.task_name(subject), "mmlu", "test", "en", "omll", "acc", mmlu.local_file(subject, "test"),
            partial(_mmlu_local, subject, "test"), mmlu.HUB, mmlu.hub_file(subject, "test"),
            partial(_mmlu_hub, subject, "test"),
            fewshot_local=partial(fewshot.mmlu_dev, subject), fewshot_hub=partial(_mmlu_hub, subject, "dev"),
        ))
    specs.append(TaskSpec(
        "frenchmedmcqa", "frenchmedmcqa", "test", "fr", "french", "emr", frenchmedmcqa.TEST_FILE,
        partial(frenchmedmcqa.parse_file, DATA_DIR / frenchmedmcqa.TEST_FILE),
        fewshot_local=fewshot.frenchmedmcqa_dev,
    ))
    for task, group in (("headqa_es", "spanish"), ("headqa_en", "extra")):
        language = headqa.LANGUAGES[task]
        specs.append(TaskSpec(
            task, "headqa", "test", language, group, "acc", headqa.TEST_FILES[task],
            partial(_headqa_local, task),
            HubDataset(headqa.HUB.repo_id, headqa.HUB.revision, language), f"{language}/test", partial(_headqa_hub, task),
            fewshot_local=partial(fewshot.headqa_dev, task),
        ))
    return {spec.task: spec for spec in specs}


TASKS: dict[str, TaskSpec] = _specs()
