"""The leaderboard's table of results without per-question data (migration 010): lm-eval results files
without samples ('aggregate only') and scores reported in papers or model cards ('reported').

They are listed apart from the ranked entries, never in one ranking with them: their shots and protocol
often differ (the original leaderboard put 5-shot paper numbers into its zero-shot table without saying
so), and with no per-question answers no paired test, tie or question view can include them. Where n is
known each accuracy has its 95% Wilson interval, as in the main table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from dashboard.page_frames.accuracy import with_wilson
from pipeline.metrics import leaderboard_average

BADGES = {"aggregate": "aggregate only", "reported": "reported"}
N_SOURCES = {"n-samples": "lm-eval n-samples", "acc_stderr": "implied by acc_stderr", "csv": "as reported"}


SECTION_TITLE = "Results without per-question data"


def pointer_text(count: int) -> str:
    """The line at the top of the leaderboard that says the section exists: it sits below the fold."""
    entries = "1 entry" if count == 1 else f"{count} entries"
    verb = "is" if count == 1 else "are"
    return (
        f"{entries} without per-question data (aggregate only or reported) {verb} listed below the ranked "
        f"table, under **{SECTION_TITLE}**: they are not ranked with it."
    )


def shots_label(shots: int | None) -> str:
    return "not stated" if shots is None else f"{shots}-shot"


def cell_text(acc: float | None, low: float | None, high: float | None) -> str | None:
    """'72.4 [68.1, 76.3]' (percent, Wilson 95%), or '72.4' when n, and so the interval, is unknown."""
    if acc is None:
        return None
    if low is None or high is None or math.isnan(low):
        return f"{acc * 100:.1f}"
    return f"{acc * 100:.1f} [{low * 100:.1f}, {high * 100:.1f}]"


def summary_table(cells: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """One row per run (warehouse.queries.summary_scores' cells): entry_id, badge, model, shots, protocol,
    citation, source_file, n from; per task t: `t` (accuracy), `t low`, `t high`, `t n`; `average` (the
    unweighted mean, only when every task is present, the leaderboard rule). Best average first."""
    tasks = list(tasks)
    cells = cells.filter(pl.col("task").is_in(tasks))
    if cells.is_empty():
        return pl.DataFrame()
    cells = with_wilson(cells)
    rows = []
    for (entry_id,), part in cells.group_by(["entry_id"], maintain_order=True):
        first = part.row(0, named=True)
        by_task = {r["task"]: r for r in part.iter_rows(named=True)}
        row = {
            "entry_id": entry_id,
            "badge": BADGES[first["kind"]],
            "model": first["model_id"],
            "shots": shots_label(first["num_fewshot"]),
            "protocol": first["protocol"],
            "citation": first["citation"] or "",
            "source_file": first["source_file"],
            "n from": ", ".join(sorted({N_SOURCES[r["n_source"]] for r in by_task.values() if r["n_source"]}))
            or "unknown",
            "average": leaderboard_average([r["acc"] for r in by_task.values()], len(tasks)),
        }
        for task in tasks:
            found = by_task.get(task, {})
            row |= {
                task: found.get("acc"),
                f"{task} low": found.get("acc_low"),
                f"{task} high": found.get("acc_high"),
                f"{task} n": found.get("n"),
            }
        rows.append(row)
    schema = {"entry_id": pl.String, "badge": pl.String, "model": pl.String, "shots": pl.String}
    schema |= {"protocol": pl.String, "citation": pl.String, "source_file": pl.String, "n from": pl.String}
    schema |= {"average": pl.Float64}
    for task in tasks:
        schema |= {task: pl.Float64, f"{task} low": pl.Float64, f"{task} high": pl.Float64, f"{task} n": pl.Int64}
    table = pl.DataFrame(rows, schema=schema)
    return table.sort(["average", "model"], descending=[True, False], nulls_last=True)


def summary_display(table: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """What the screen shows: badge, model, shots, protocol, citation, average and each task as text
    ('acc [low, high]' in percent, or the accuracy alone where n is unknown), then where n came from."""
    texts = [
        pl.Series(task, [cell_text(*v) for v in zip(table[task], table[f"{task} low"], table[f"{task} high"])])
        for task in tasks
    ]
    head = table.select("badge", "model", "shots", "protocol", "citation", (pl.col("average") * 100).round(1))
    return head.with_columns(texts).with_columns(table["n from"])


def summary_export(table: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """The CSV: the same rows with each task's accuracy, low, high (%) and n as separate numeric columns."""
    columns = [pl.col("badge"), pl.col("model"), pl.col("shots"), pl.col("protocol"), pl.col("citation")]
    columns.append((pl.col("average") * 100).round(2))
    for task in tasks:
        columns += [(pl.col(c) * 100).round(2) for c in (task, f"{task} low", f"{task} high")]
        columns.append(pl.col(f"{task} n"))
    return table.select(*columns, "n from", "source_file", "entry_id")
