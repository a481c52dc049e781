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
