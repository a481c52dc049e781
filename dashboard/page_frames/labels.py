"""Short, distinct display labels for model versions: what selectors, tables, charts and CSVs call an entry.

The long label a run records ("HuggingFaceTB/SmolLM2-135M-Instruct · GGUF Q4_1, then torch int8 dynamic
quantization") is cut off in a selector, so two versions of one model read the same. The short label is
the model's name without its organisation (kept where two organisations share a name), then what sets this version apart (its variant, or its own
label when that is short), then the run configuration when it is not the usual one; if two entries still
read the same, the revision (then the version id) is added until every label is distinct.

Tasks are shown by their readable names (pipeline.benchmarks.registry.TASK_TITLES, the one home of the
names), with the task id in the tooltip; CSV exports keep the task id.
"""

from __future__ import annotations

import polars as pl

from pipeline.benchmarks.registry import ALL_TASKS, TASKS, task_header, task_title

SHORT_LABEL = 16  # a version label up to this long is shown as it is; a longer one is a description


def _short_name(model_id: str) -> str:
    return str(model_id).rsplit("/", 1)[-1]


def _base(row: dict, unique_names: set[str]) -> str:
    short = _short_name(row["model_id"])
    name = short if short in unique_names else str(row["model_id"])  # the organisation only where needed
    tag = row.get("variant") or (row["label"] if len(row["label"] or "") <= SHORT_LABEL else "")
    parts = [name, tag] if tag else [name]
    if row["num_fewshot"]:
        parts.append(f"{row['num_fewshot']}-shot")
    if row["scoring_mode"] != "loglikelihood":
        parts.append(row["scoring_mode"])
    return " · ".join(parts)


def display_labels(entries: pl.DataFrame) -> dict[str, str]:
    """entry_id -> a short label, distinct across `entries` (the frame of warehouse.queries.entries)."""
    rows = entries.select(
        "entry_id", "model_id", "label", "variant", "revision", "version_id", "num_fewshot", "scoring_mode"
    ).to_dicts()
    owners: dict[str, set[str]] = {}
    for row in rows:
        owners.setdefault(_short_name(row["model_id"]), set()).add(str(row["model_id"]))
    unique_names = {short for short, models in owners.items() if len(models) == 1}
    labels = {row["entry_id"]: _base(row, unique_names) for row in rows}
    for suffix in (lambda r: f"@{str(r['revision'])[:7]}", lambda r: f"#{str(r['version_id'])[:8]}"):
        seen: dict[str, int] = {}
        for label in labels.values():
            seen[label] = seen.get(label, 0) + 1
        for row in rows:
            if seen[labels[row["entry_id"]]] > 1:
                labels[row["entry_id"]] = f"{labels[row['entry_id']]} {suffix(row)}"
    return labels


TASK_NAME = "task name"  # the CSV column beside `task` (the id) where the screen shows the readable name


def with_task_titles(frame: pl.DataFrame, column: str = "task") -> pl.DataFrame:
    """`frame` with its task ids in `column` replaced by their readable names (what a page shows); a value
    the registry does not know, such as the pooled row, stays as it is."""
    if column not in frame.columns or frame.is_empty():
        return frame
    titles = {task: task_title(task) for task in frame[column].unique().drop_nulls().to_list()}
    return frame.with_columns(pl.col(column).replace_strict(titles, default=pl.col(column)))


def with_task_name_column(frame: pl.DataFrame, column: str = "task") -> pl.DataFrame:
    """`frame` (a CSV) with a `task name` column right after the task id column `column`, which stays."""
    if column not in frame.columns:
        return frame
    names = with_task_titles(frame.select(column))[column].alias(TASK_NAME)
    return frame.insert_column(frame.columns.index(column) + 1, names)


def benchmark_title(benchmark: str) -> str:
    """A benchmark's readable name: its task's, or the words its tasks' names share ("MMLU" for the six
    MMLU subjects, "HEAD-QA" for its two languages); an unknown id stays as it is."""
    names = [task_title(t.name).split() for t in ALL_TASKS if t.benchmark == benchmark]
    if not names:
        return benchmark
    shared = [words[0] for words in zip(*names) if len(set(words)) == 1]
    return " ".join(shared) or benchmark


def slice_title(benchmark: str, subject: str) -> str:
    """A clinical slice's readable name: the task's when the slice is a whole task (MMLU's anatomy is the
    task MMLU Anatomy), else the benchmark's name and the subject as the source has it ("MedMCQA: Anatomy")."""
    task = f"{benchmark}_{subject}"
    return task_title(task) if task in TASKS else f"{benchmark_title(benchmark)}: {subject}"


def task_help(task: str, what: str = "") -> str:
    """A task column's or selector's tooltip: its readable name, its id (as in the CSV), then `what`."""
    return " ".join(part for part in (f"{task_title(task)} (task id `{task}`).", what) if part)


__all__ = [
    "TASK_NAME",
    "benchmark_title",
    "slice_title",
    "display_labels",
    "task_header",
    "task_help",
    "task_title",
    "with_task_name_column",
    "with_task_titles",
]
