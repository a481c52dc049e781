"""Benchmark tasks: names, groups, and their questions from the vendored files or the Hugging Face hub.

    load_questions("medqa_4options")                  # 1273 Questions, file order, from data/medqa/
    load_questions("mmlu_anatomy", source="hub")      # the cais/mmlu copy lm-evaluation-harness reads
    resolve_tasks("omll,frenchmedmcqa")               # the nine + one, de-duplicated, in order

Question ids are "<task>/<source id>" and are the same whichever source a question came from.
What a task is (its loaders, prompt template, lm-eval document mapping, flags) is its `Task` object:
get_task("pubmedqa").permutable, get_task("frenchmedmcqa").multi_answer.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pipeline.benchmarks.errors import BenchmarkFormatError, HubUnavailable, NoFewshotSplit, UnknownTask
from pipeline.benchmarks.paths import DATA_DIR, VENDORED_PREFIX, data_file
from pipeline.benchmarks.registry import CHOICE_TASKS, MMLU_TASKS, OMLL_TASKS, TASK_GROUPS, TASKS
from pipeline.benchmarks.sampling import stratified_sample
from pipeline.benchmarks.task import Task
from warehouse.records import Question, TaskInfo, file_sha256

SOURCES = ("local", "hub")
DEMO_SEED = 20261127


def get_task(name: str) -> Task:
    """The task of that name; UnknownTask lists the valid names."""
    if name not in TASKS:
        raise UnknownTask(f"unknown task {name!r}; {_valid_names()}")
    return TASKS[name]


def resolve_tasks(spec: str) -> list[str]:
    """'omll,headqa_en' -> task names: groups expanded, duplicates dropped, first occurrence kept."""
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if not names:
        raise UnknownTask(f"no task given; {_valid_names()}")
    tasks: list[str] = []
    for name in names:
        members = TASK_GROUPS.get(name, (name,) if name in TASKS else None)
        if members is None:
            raise UnknownTask(f"unknown task or group {name!r}; {_valid_names()}")
        tasks.extend(task for task in members if task not in tasks)
    return tasks


def task_info(name: str, source: str = "local", revision: str | None = None) -> TaskInfo:
    spec = get_task(name)
    if _check_source(source) == "hub":
        where, sha = _hub_dataset(spec, revision).uri(spec.hub_path), None
    else:
        where, sha = f"{VENDORED_PREFIX}/{spec.source}", _file_sha256(spec.source)
    return TaskInfo(
        task=name,
        benchmark=spec.benchmark,
        split=spec.split,
        language=spec.language,
        task_group=spec.task_group,
        metric=spec.metric,
        source=where,
        data_sha256=sha,
    )


def load_questions(
    task: str, source: str = "local", revision: str | None = None, cache_dir: str | Path | None = None
) -> list[Question]:
    """The task's questions in file order. Parsed once per process; every call returns a fresh list."""
    return list(_load(task, _check_source(source), revision, str(cache_dir) if cache_dir else None))


def fewshot_pool(
    task: str, source: str = "local", revision: str | None = None, cache_dir: str | Path | None = None
) -> list[Question]:
    """The questions this task's few-shot examples come from, in file order; the run takes the first K.

    MMLU: the dev split, as lm-eval's first_n sampler. MedQA, HEAD-QA, FrenchMedMCQA: their dev split;
    PubMedQA: the PQA-L items outside the test set (lm-eval samples these tasks from train splits that are
    not vendored; fewshot.py says what differs). MedMCQA has none and raises NoFewshotSplit.
    """
    return list(_fewshot(task, _check_source(source), revision, str(cache_dir) if cache_dir else None))


def open_questions(task: str) -> list:
    """An open-ended task's questions with their gold criteria (pipeline.benchmarks.kqa.OpenQuestion)."""
    spec = get_task(task)
    if spec.load_open is None:
        raise UnknownTask(
            f"{task} is a multiple-choice task, not an open-ended one; open-ended: {', '.join(TASK_GROUPS['open'])}"
        )
    return list(_open(task))


@cache
def _open(task: str) -> tuple:
    return tuple(get_task(task).load_open())


def excluded_count(name: str) -> int:
    """Questions of the source file that the task leaves out (HEAD-QA: those that need an image)."""
    return get_task(name).excluded_count()


def demo_sample(task: str, per_task: int = 25, seed: int = DEMO_SEED) -> list[Question]:
    """A fixed stratified subset of the vendored questions; the rule is in data/DEMO_SAMPLE.md."""
    return stratified_sample(_load(task, "local", None, None), per_task, seed)


# ---------------------------------------------------------------- internals


@cache
def _load(name: str, source: str, revision: str | None, cache_dir: str | None) -> tuple[Question, ...]:
    spec = get_task(name)
    if source == "local":
        return tuple(spec.load_local())
    if spec.load_hub is None:
        raise HubUnavailable(
            f"{name} has no Hugging Face hub copy to read (it is not an lm-evaluation-harness task); use source='local'"
        )
    return tuple(spec.load_hub(_hub_dataset(spec, revision), cache_dir))


@cache
def _fewshot(name: str, source: str, revision: str | None, cache_dir: str | None) -> tuple[Question, ...]:
    spec = get_task(name)
    if spec.fewshot_local is None:
        raise NoFewshotSplit(spec.no_fewshot_reason or f"{name} has no few-shot split")
    if source == "hub":
        if spec.fewshot_hub is None:
            raise HubUnavailable(f"{name} has no Hugging Face hub copy of its few-shot split; use source='local'")
        return tuple(spec.fewshot_hub(_hub_dataset(spec, revision), cache_dir))
    return tuple(spec.fewshot_local())


@cache
def _file_sha256(relative_path: str) -> str:
    return file_sha256(data_file(relative_path))


def _hub_dataset(spec: Task, revision: str | None):
    if spec.hub is None:
        raise HubUnavailable(f"{spec.name} has no Hugging Face hub copy; use source='local'")
    return spec.hub.at(revision)


def _check_source(source: str) -> str:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose 'local' (vendored files) or 'hub' (Hugging Face)")
    return source


def _valid_names() -> str:
    return f"valid tasks: {', '.join(TASKS)}; groups: {', '.join(TASK_GROUPS)}"


__all__ = [
    "BenchmarkFormatError",
    "CHOICE_TASKS",
    "DATA_DIR",
    "HubUnavailable",
    "MMLU_TASKS",
    "NoFewshotSplit",
    "OMLL_TASKS",
    "TASKS",
    "TASK_GROUPS",
    "Task",
    "UnknownTask",
    "demo_sample",
    "excluded_count",
    "fewshot_pool",
    "get_task",
    "load_questions",
    "open_questions",
    "resolve_tasks",
    "task_info",
]
