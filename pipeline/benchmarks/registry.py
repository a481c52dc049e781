"""The task list: every Task the project knows, in the leaderboard's order, and the groups made of them.

Adding a multiple-choice benchmark is one module beside this file that builds its Task, and its line here.
"""

from __future__ import annotations

from pipeline.benchmarks import frenchmedmcqa, headqa, kqa, medmcqa, medqa, mmlu, pubmedqa
from pipeline.benchmarks.task import Task

ALL_TASKS: tuple[Task, ...] = (
    medqa.TASK,
    medmcqa.TASK,
    pubmedqa.TASK,
    *mmlu.TASKS,
    frenchmedmcqa.TASK,
    *headqa.TASKS,
    kqa.TASK,
)
TASKS: dict[str, Task] = {task.name: task for task in ALL_TASKS}


def _named(tasks) -> tuple[str, ...]:
    return tuple(task.name for task in tasks)


MMLU_TASKS = _named(mmlu.TASKS)
# The nine Open Medical-LLM Leaderboard tasks, in the leaderboard's order.
OMLL_TASKS = _named(t for t in ALL_TASKS if t.task_group == "omll")
TASK_GROUPS: dict[str, tuple[str, ...]] = {
    "omll": OMLL_TASKS,
    "mmlu": MMLU_TASKS,
    "french": _named(t for t in ALL_TASKS if t.task_group == "french"),
    "spanish": _named(t for t in ALL_TASKS if t.task_group == "spanish"),
    "extra": _named(t for t in ALL_TASKS if t.task_group not in ("omll", "open")),
    "open": _named(t for t in ALL_TASKS if t.open_ended),  # answered in free text, judged per statement
}
CHOICE_TASKS = _named(t for t in ALL_TASKS if not t.open_ended)

# What a reader calls each task: the dashboard's headers, selectors and charts show these, the task id
# (the prefix of every question id) stays in tooltips and CSV exports.
TASK_TITLES: dict[str, str] = {
    "medqa_4options": "MedQA",
    "medmcqa": "MedMCQA",
    "pubmedqa": "PubMedQA",
    "mmlu_anatomy": "MMLU Anatomy",
    "mmlu_clinical_knowledge": "MMLU Clinical Knowledge",
    "mmlu_college_biology": "MMLU College Biology",
    "mmlu_college_medicine": "MMLU College Medicine",
    "mmlu_medical_genetics": "MMLU Medical Genetics",
    "mmlu_professional_medicine": "MMLU Professional Medicine",
    "frenchmedmcqa": "FrenchMedMCQA",
    "headqa_es": "HEAD-QA (es)",
    "headqa_en": "HEAD-QA (en)",
    "kqa": "K-QA",
}


# A leaderboard column is as wide as its header: nine tasks and the average fit a 1440 px screen only with
# these (the title and the id are the header's tooltip).
TASK_HEADERS: dict[str, str] = TASK_TITLES | {
    "mmlu_anatomy": "Anatomy",
    "mmlu_clinical_knowledge": "Clin. knowl.",
    "mmlu_college_biology": "Coll. bio.",
    "mmlu_college_medicine": "Coll. med.",
    "mmlu_medical_genetics": "Med. genet.",
    "mmlu_professional_medicine": "Prof. med.",
}


def task_title(task: str) -> str:
    """The readable name of `task`; an id the registry does not know (an imported task) stays as it is."""
    return TASK_TITLES.get(task, task)


def task_header(task: str) -> str:
    """A short column header for `task` (its title where that is short already)."""
    return TASK_HEADERS.get(task, task)
