"""What the About page shows, generated from the code's own registries instead of typed-in numbers: each
task's source file, split, count and sha256 (pipeline.benchmarks), the prompt templates (each Task's Template) and the prompt hashes runs recorded,
the statistics with the constants the pages use, and the command that reproduces an entry.
"""

from __future__ import annotations

import functools
import json

import polars as pl

from dashboard.page_frames import accuracy, beyond_accuracy
from pipeline import benchmarks, metrics
from pipeline.benchmarks.paths import VENDORED_PREFIX
from pipeline.benchmarks.registry import ALL_TASKS, OMLL_TASKS, task_title


@functools.cache
def dataset_table() -> pl.DataFrame:
    """One row per task the project knows: group, benchmark, split, language, metric, the vendored file,
    its question count (after the task's documented exclusions), the excluded count, and the file's sha256."""
    rows = []
    for task in ALL_TASKS:
        info = benchmarks.task_info(task.name)
        rows.append(
            {
                "task": task.name,
                "task name": task_title(task.name),
                "group": task.task_group,
                "benchmark": task.benchmark,
                "split": task.split,
                "language": task.language,
                "metric": task.metric,
                "questions": len(benchmarks.load_questions(task.name)),
                "excluded": benchmarks.excluded_count(task.name),
                "file": info.source.removeprefix(f"{VENDORED_PREFIX}/"),
                "sha256": info.data_sha256,
                "hub copy lm-eval reads": task.hub.uri(task.hub_path) if task.hub else "",
            }
        )
    return pl.DataFrame(rows)


def protocol_table() -> pl.DataFrame:
    """One row per task: how its prompt is built (its Template in the registry) and how it is scored."""
    rows = []
    for task in ALL_TASKS:
        template = task.template
        rows.append(
            {
                "task": task.name,
                "task name": task_title(task.name),
                "choices scored": "option letters (A, B, ...)" if template.choices == "letters" else "option texts",
                "scoring": "exact set of options (EMR)" if task.multi_answer else "most likely choice",
                "description": template.description,
                "question template": template.doc,
                "option line": template.option_line,
            }
        )
    return pl.DataFrame(rows)


def recorded_prompts(runs: pl.DataFrame) -> pl.DataFrame:
    """The prompt versions and hashes the runs in the warehouse recorded, with how many runs used each
    (a run's hash covers every task's template, its few-shot count and delimiters: pipeline.prompts)."""
    if runs.is_empty():
        return pl.DataFrame(schema={"prompt_version": pl.String, "prompt_hash": pl.String, "shots": pl.Int64})
    return (
        runs.group_by("prompt_version", "prompt_hash", pl.col("num_fewshot").alias("shots"))
        .agg(pl.len().alias("runs"), pl.col("backend").unique().sort().str.join(", ").alias("backends"))
        .sort("prompt_version", "shots", "prompt_hash")
    )


def statistics_notes() -> list[tuple[str, str, str]]:
    """(statistic, what it is, when it misleads), with the constants the pages use."""
    alpha = accuracy.SIGNIFICANCE
    return [
        (
            "accuracy interval",
            f"95% {metrics.INTERVAL_METHOD} interval (scipy), shown as [low, high]. Wilson rather than "
            "Clopper-Pearson: both stay inside [0, 1] and keep a width at 0/n, but Clopper-Pearson covers 97-99% "
            "at small n (wider than needed) while Wilson stays close to 95%.",
            "It describes sampling error over questions only: a different prompt, option order or split can move "
            "accuracy by more than the interval (see Robustness).",
        ),
        (
            "difference B − A",
            f"{accuracy.DIFFERENCE_METHOD} (Newcombe 1998) on the questions both answered.",
            "Only the questions both answered count; the difference between two samples of different questions "
            "is not what it shows.",
        ),
        (
            "McNemar p",
            "Exact two-sided binomial test on the questions exactly one model got right.",
            "Nine tasks tested at once raise a false alarm on some task in about a third of comparisons of two "
            "equal models: read the Holm-adjusted p.",
        ),
        (
            "Holm p",
            f"Holm's step-down adjustment over the tasks of one comparison (statsmodels); significant below {alpha}. "
            "The History page's regression flag uses it.",
            "It controls false alarms across tasks, not across the many pairs a user may try.",
        ),
        (
            "chance and above chance?",
            "A blind guess: 1/k for k options (25% with four, 33.3% on PubMedQA), 1/(2^k − 1) for the exact "
            "answer set of a multi-answer task (1/31 for FrenchMedMCQA's five). One-sided exact test of all of "
            f"an entry's answers against it (the sum of binomials per task), at {alpha}.",
            "A model that always picks the same letter scores the share of that letter among the golds, which "
            "can differ from chance: small models have a strong letter-position bias (see Robustness, letter "
            "shares), so an accuracy near chance says little about medical knowledge either way.",
        ),
        (
            "tie (≈n)",
            "Neighbours on the sorted column whose difference is not significant: exact McNemar for a task, a "
            "paired permutation test (scipy, 9999 resamples, seed 0) for the average on the questions both "
            "answered; an unpaired normal test only when they share none.",
            "Ties chain: a ≈ b and b ≈ c does not make a ≈ c.",
        ),
        (
            "small slices",
            f"Slices with fewer than {beyond_accuracy.MIN_SLICE_N} answers are greyed out and marked ⚠.",
            "At 10 answers a 95% interval is about 50 points wide; one answer decides a 0% or 100%.",
        ),
        (
            "average",
            "Unweighted mean of the tasks, only when every task is present (the leaderboard's rule); weighted "
            "counts every question once.",
            "The demo samples 25 questions per task: its averages carry intervals of about ±6 points.",
        ),
    ]


def reproduce_command(run: dict) -> str:
    """The command that reruns one run: a row of warehouse.queries.runs (whose settings is the JSON the run
    recorded: the --model argument as given, the GGUF file) with its entry's variant and revision."""
    if run["provenance"] != "evaluated":
        return f"imported ({run['provenance']}, backend {run['backend']}): import the same file again with medlb import"
    settings = json.loads(run["settings"] or "{}")
    parts = ["medlb eval", f"--model {settings.get('model_arg') or run['model_id']}"]
    if settings.get("gguf_file"):
        parts.append(f"--gguf-file {settings['gguf_file']}")
    revision = str(run.get("revision") or "")
    if revision and not revision.startswith("sha256:"):  # a file's sha256 is checked, not chosen
        parts.append(f"--revision {revision}")
    tasks = run["tasks"].split(", ")
    parts.append(f"--tasks {'omll' if sorted(tasks) == sorted(OMLL_TASKS) else ','.join(tasks)}")
    if run["num_fewshot"]:
        parts.append(f"--shots {run['num_fewshot']}")
    if run.get("variant"):
        parts.append(f"--variant {run['variant']}")
    if run["scoring_mode"] != "loglikelihood":
        parts.append(f"--scoring-mode {run['scoring_mode']}")
    return " ".join(parts)
