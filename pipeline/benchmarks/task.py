"""A task as one object: what it is, how its questions are read, how it is prompted, what may be done to it.

Every benchmark module builds its Task(s) with keywords; pipeline.benchmarks.registry lists them. Code
that treats tasks differently reads a field here instead of comparing task names, so adding a
multiple-choice benchmark is one module beside this one and one line in the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.benchmarks.hub import HubDataset
from warehouse.records import Question

HubLoader = Callable[[HubDataset, "str | Path | None"], list[Question]]
# lm-evaluation-harness logs each sample's hub document; these read it in the schema the task's hub copy has.
DocContent = Callable[[dict], tuple["str | None", str, list[str]]]  # (context, question text, options)
DocSourceId = Callable[[dict], "str | None"]


@dataclass(frozen=True)
class Template:
    """One task family's prompt, as data: prompts.template_hash hashes exactly these fields."""

    doc: str  # str.format fields: question, question_stripped, context, options
    option_line: str = ""  # rendered once per option into {options}: fields letter, option
    description: str = ""  # placed before everything else; field: subject (underscores as spaces)
    choices: str = "letters"  # "letters": A, B, ... scored; "options": the option texts themselves; "open": free text


def no_source_id(doc: dict) -> str | None:
    """For hub copies that keep no dataset id (their row order is the only link to the vendored file)."""
    return None


def none_excluded() -> int:
    return 0


@dataclass(frozen=True, kw_only=True)
class Task:
    name: str  # e.g. "medqa_4options": the prefix of every question id
    benchmark: str  # e.g. "medqa": tasks of one benchmark share a loader and a template
    split: str
    language: str
    task_group: str  # omll | french | spanish | extra
    metric: str  # acc | emr (exact match of the set of correct options)
    source: str  # the vendored file the questions come from, relative to paths.DATA_DIR
    load_local: Callable[[], list[Question]]
    template: Template
    hub: HubDataset | None = None  # None: not an lm-evaluation-harness task, only the vendored file is read
    hub_path: str = ""  # the file (or folder) read from the hub copy
    load_hub: HubLoader | None = None
    fewshot_local: Callable[[], list[Question]] | None = None  # the few-shot pool, in file order (fewshot.py)
    fewshot_hub: HubLoader | None = None
    no_fewshot_reason: str = ""  # why fewshot_local is None, and what to do instead
    doc_content: DocContent | None = None  # None: lm-eval output for this task cannot be imported
    doc_source_id: DocSourceId = no_source_id  # breaks ties between identical questions on import
    excluded_count: Callable[[], int] = none_excluded  # questions of the source file the task leaves out
    multi_answer: bool = False  # several options may be correct; scored as the exact set (metric emr)
    permutable: bool = True  # rotating the options changes what the model is shown
    counterfactual_eligible: bool = False  # patient vignettes the bias probe may rewrite
    # Open-ended tasks (K-QA): the questions with their gold criteria, answered in free text and judged
    # (pipeline.generation, pipeline.judging) instead of scored by option log-likelihoods.
    load_open: Callable[[], list] | None = None

    @property
    def open_ended(self) -> bool:
        return self.load_open is not None

    @property
    def lettered_options(self) -> bool:
        """The prompt lists the options under letters and the letters are scored."""
        return self.template.choices == "letters"
