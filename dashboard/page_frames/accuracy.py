"""What the pages show beyond the SQL: the wide leaderboard, its marks (settings, ties), paired statistics
(2x2 tables, exact McNemar, Newcombe's paired interval, Holm), flip sets between versions, and answer labels.
The sentences made from them (verdicts, 'above chance?') are in dashboard.page_frames.verdicts.

Pure functions over polars frames as the queries in warehouse.queries return them: no Streamlit here,
so every number is testable without a running app.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from pipeline.analysis import items
from pipeline.metrics import (
    FLIP_CELLS,
    Z95,
    PairedTable,
    holm,
    leaderboard_average,
    mcnemar_exact,
    newcombe_paired_ci,
    paired_permutation_p,
    paired_table,
    pooled_above_chance_p,
    wilson_interval,
)
from warehouse.records import LETTERS

ALL_TASKS = "all tasks (pooled)"
SIGNIFICANCE = 0.05  # two-sided, on Holm-adjusted p-values where several tasks are tested at once
REGRESSION_P = SIGNIFICANCE
DIFFERENCE_METHOD = "Newcombe's paired score interval"
FLIP_KINDS = {  # kind -> (earlier correct, later correct): the sets the history page lists
    "fixed": FLIP_CELLS["fixed"],
    "broken": FLIP_CELLS["broken"],
    "still wrong": FLIP_CELLS["still_wrong"],
}


# ------------------------------------------------------------------ leaderboard


def with_wilson(cells: pl.DataFrame, n: str = "n", n_correct: str = "n_correct") -> pl.DataFrame:
    """Add `acc_low`, `acc_high`: the 95% Wilson interval of each row's n_correct out of n (scipy); null
    where n or n_correct is unknown (a reported score without its n)."""
    bounds = [
        wilson_interval(k, total) if k is not None and total is not None else (None, None)
        for k, total in zip(cells[n_correct].to_list(), cells[n].to_list())
    ]
    return cells.with_columns(
        pl.Series("acc_low", [low for low, _ in bounds], dtype=pl.Float64),
        pl.Series("acc_high", [high for _, high in bounds], dtype=pl.Float64),
    )


def leaderboard_table(
    cells: pl.DataFrame, entries: pl.DataFrame, tasks: Sequence[str], chance: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per entry that has results in `tasks`: metadata, per-task accuracy and interval, averages.

    Columns per task t: `t` (accuracy), `t low` and `t high` (its 95% Wilson interval), `t n`; for the
    entry: `average` (unweighted mean of the tasks, null unless every task is present, the leaderboard
    rule), `average_se`, `weighted` (every question counts once), `questions`, `tasks_present`, and with
    `chance` (task, chance: warehouse.queries.task_chance) `chance` (the mean of its tasks' chance levels)
    and `p_above_chance` (one-sided exact test of all its answers against guessing).
    """
    tasks = list(tasks)
    if cells.is_empty():
        return pl.DataFrame()
    cells = with_wilson(cells.filter(pl.col("task").is_in(tasks)))
    if chance is not None:
        cells = cells.join(chance.select("task", "chance"), on="task", how="left")
    wide = [
        cells.pivot(on="task", index="entry_id", values=column).rename(
            {t: f"{t}{suffix}" for t in tasks if t in set(cells["task"].to_list())}
        )
        for column, suffix in (("acc", ""), ("acc_low", " low"), ("acc_high", " high"), ("n", " n"))
    ]
    totals = cells.group_by("entry_id").agg(
        pl.len().alias("tasks_present"),
        pl.col("n").sum().alias("questions"),
        (pl.col("n_correct").sum() / pl.col("n").sum()).alias("weighted"),
        pl.col("acc").alias("task_accuracies"),
        # se of an unweighted mean of independent task accuracies: sqrt(sum se_t^2) / T
        (pl.col("stderr").fill_null(0.0).pow(2).sum().sqrt() / len(tasks)).alias("average_se"),
    )
    table = entries.join(totals, on="entry_id", how="inner")
    for frame in wide:
        table = table.join(frame, on="entry_id", how="left")
    table = table.with_columns(
        average_of_all_tasks(len(tasks)), (pl.col("tasks_present") < len(tasks)).alias("partial")
    ).drop("task_accuracies")
    if chance is not None:
        table = table.join(chance_per_entry(cells), on="entry_id", how="left")
    for task in tasks:  # a task nobody has results for still gets its (empty) columns
        for column in (task, f"{task} low", f"{task} high", f"{task} n"):
            if column not in table.columns:
                table = table.with_columns(pl.lit(None, pl.Float64).alias(column))
    order = ["average", "weighted", "entry_label"]  # the label breaks exact ties, so the order is stable
    return mark_settings(table).sort(order, descending=[True, True, False], nulls_last=True).pipe(mark_ties)


def chance_per_entry(cells: pl.DataFrame) -> pl.DataFrame:
    """entry_id, chance (mean over its tasks of each task's chance level), p_above_chance (exact, pooled)."""
    rows = []
    for (entry,), part in cells.group_by(["entry_id"]):
        counts = list(zip(part["n_correct"].to_list(), part["n"].to_list(), part["chance"].to_list()))
        known = [c for c in counts if c[2] is not None]
        rows.append(
            {
                "entry_id": entry,
                "chance": sum(c[2] for c in known) / len(known) if known else None,
                "p_above_chance": pooled_above_chance_p(known) if known else None,
            }
        )
    return pl.DataFrame(rows, schema={"entry_id": pl.String, "chance": pl.Float64, "p_above_chance": pl.Float64})


def average_of_all_tasks(n_tasks: int) -> pl.Expr:
    """`average` from the list column `task_accuracies`: pipeline.metrics.leaderboard_average, null unless
    every one of the n_tasks tasks is present."""
    return (
        pl.col("task_accuracies")
        .map_elements(
            lambda accuracies: leaderboard_average(accuracies.to_list(), n_tasks),
            return_dtype=pl.Float64,
        )
        .alias("average")
    )


def mark_settings(table: pl.DataFrame) -> pl.DataFrame:
    """Add `settings`: what differs from the most common shots, prompt hash and dtype ('' when nothing)."""
    if table.is_empty():
        return table.with_columns(pl.lit("").alias("settings"))

    def most_common(column: str):
        counts = table.group_by(column).len().sort(["len", column], descending=[True, False], nulls_last=True)
        return counts[column][0]

    shots, prompt, dtype = most_common("num_fewshot"), most_common("prompt_hash"), most_common("dtype")
    notes = []
    for row in table.select("num_fewshot", "prompt_hash", "dtype", "scoring_mode").iter_rows(named=True):
        parts = []
        if row["num_fewshot"] != shots:
            parts.append(f"{row['num_fewshot']}-shot")
        if row["prompt_hash"] != prompt:
            parts.append(f"prompt {row['prompt_hash']}")
        if row["dtype"] != dtype and row["dtype"] != "?":  # '?': not recorded (API models have none)
            parts.append(f"dtype {row['dtype']}")
        if row["scoring_mode"] != "loglikelihood":
            parts.append(row["scoring_mode"])
        notes.append("; ".join(parts))
    return table.with_columns(pl.Series("settings", notes, dtype=pl.String))


def mark_ties(
    table: pl.DataFrame,
    value: str = "average",
    se: str | None = "average_se",
    answers: pl.DataFrame | None = None,
    tasks: Sequence[str] = (),
) -> pl.DataFrame:
    """Add `tie`: rows ranked by `value` whose difference to the next is not significant share a label.

    With `answers` (warehouse.queries.leaderboard_answers), two neighbours that answered questions in
    common get a paired test on those questions (paired_tie_p): exact McNemar for one task, a paired
    permutation test for the average or the weighted mean. Neighbours without common questions fall back
    to |difference| / sqrt(se1^2 + se2^2) < 1.96 (two-sided 5%, normal approximation, unpaired; `se` is a
    column, or None for a task's own sqrt(p (1 - p) / n)). Rows without a value get no label; groups of one
    get ''.
    """
    ranked = table.with_row_index("_row").sort(value, descending=True, nulls_last=True, maintain_order=True)
    values = ranked[value].to_list()
    ses = ranked[se].to_list() if se else [_task_se(p, n) for p, n in zip(values, ranked[f"{value} n"].to_list())]
    entries = ranked["entry_id"].to_list() if "entry_id" in ranked.columns else [None] * ranked.height
    group, groups = 0, []
    for i, current in enumerate(values):
        if current is None:
            groups.append(None)
            continue
        if i > 0 and values[i - 1] is not None:
            p_paired = None
            if answers is not None:
                p_paired = paired_tie_p(answers, entries[i - 1], entries[i], value, tasks)
            tied = (
                p_paired >= SIGNIFICANCE if p_paired is not None else _tied(values[i - 1], ses[i - 1], current, ses[i])
            )
            if not tied:
                group += 1
        groups.append(group)
    sizes = {g: groups.count(g) for g in set(groups) if g is not None}
    labels, names = [], {}
    for g in groups:
        if g is None or sizes[g] < 2:
            labels.append("")
        else:
            names.setdefault(g, f"≈{len(names) + 1}")
            labels.append(names[g])
    return ranked.with_columns(pl.Series("tie", labels, dtype=pl.String)).sort("_row").drop("_row")


def _tied(v1: float, se1: float | None, v2: float, se2: float | None) -> bool:
    spread = math.sqrt((se1 or 0.0) ** 2 + (se2 or 0.0) ** 2)
    if spread == 0:
        return v1 == v2
    return abs(v1 - v2) / spread < Z95


def _task_se(p: float | None, n: int | None) -> float | None:
    return None if p is None or not n else math.sqrt(p * (1 - p) / n)


def paired_tie_p(answers: pl.DataFrame, first: str, second: str, value: str, tasks: Sequence[str]) -> float | None:
    """p-value of the difference in `value` (a task, "average" or "weighted") between two entries on the
    questions both answered; None when they share none. The average weighs each question 1 / (T n_t) over
    the T tasks both answered (n_t: their common questions of task t), so every task counts once."""
    scope = [value] if value in tasks else list(tasks)
    both = (
        answers.filter(pl.col("entry_id") == first, pl.col("task").is_in(scope))
        .select("task", "question_id", pl.col("correct").alias("a"))
        .join(
            answers.filter(pl.col("entry_id") == second).select("question_id", pl.col("correct").alias("b")),
            on="question_id",
        )
    )
    if both.is_empty():
        return None
    if value in tasks:
        table = paired_table(both["a"].to_numpy(), both["b"].to_numpy())
        return mcnemar_exact(table.a_only, table.b_only)
    if value == "weighted":
        weights = [1.0 / both.height] * both.height
    else:
        sizes = both.group_by("task").len()
        per_task = dict(zip(sizes["task"].to_list(), sizes["len"].to_list()))
        weights = [1.0 / (len(per_task) * per_task[t]) for t in both["task"].to_list()]
    return paired_permutation_p(both["a"].to_list(), both["b"].to_list(), weights)


def format_accuracy(table: pl.DataFrame, tasks: Sequence[str], with_interval: bool) -> pl.DataFrame:
    """Accuracy columns in percent: numbers, or text 'acc [low, high]' (the 95% Wilson interval, which is
    asymmetric, so never written as ±) when intervals are shown inline."""
    out = table
    for task in tasks:
        pct = (pl.col(task) * 100).round(1)
        if with_interval:
            text = pl.format(
                "{} [{}, {}]",
                pl.col(task).mul(100).round(1).cast(pl.String),
                (pl.col(f"{task} low") * 100).round(1).cast(pl.String),
                (pl.col(f"{task} high") * 100).round(1).cast(pl.String),
            )
            out = out.with_columns(pl.when(pl.col(task).is_null()).then(None).otherwise(text).alias(task))
        else:
            out = out.with_columns(pct.alias(task))
    return out.with_columns((pl.col("average") * 100).round(1), (pl.col("weighted") * 100).round(1)).drop(
        [f"{t} {part}" for t in tasks for part in ("low", "high")]
    )


def accuracy_export(display: pl.DataFrame, table: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """The CSV form of the leaderboard `display` (format_accuracy of `table`, the same rows): each task's
    column as a number, followed by its 95% Wilson `low` and `high` (%) and its `n`, whatever the screen
    shows; the other columns as shown."""
    columns = []
    for column in display.columns:
        if column in tasks:
            columns += [
                (table[column] * 100).round(2).alias(column),
                (table[f"{column} low"] * 100).round(2).alias(f"{column} low"),
                (table[f"{column} high"] * 100).round(2).alias(f"{column} high"),
                table[f"{column} n"].cast(pl.Int64).alias(f"{column} n"),
            ]
        else:
            columns.append(display[column])
    return pl.DataFrame(columns)


# ------------------------------------------------------------------ compare


def compare_summary(pairs: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """Per task (and pooled over all): accuracies of A and B, B - A with its 95% interval (Newcombe's
    paired method), the exact McNemar p-value, its Holm adjustment over the tasks, and the 2x2 table.

    The per-task tests are one family (nine tasks tested at once would give a false alarm on some task in
    about a third of comparisons of two equal models at 5%), so `p_holm` adjusts them together; the pooled
    row is a single test of its own and keeps its raw p-value there."""
    rows = []
    groups = [(t, pairs.filter(pl.col("task") == t)) for t in tasks] + [(ALL_TASKS, pairs)]
    for name, part in groups:
        if part.is_empty():
            continue
        a, b = part["a_correct"].to_numpy(), part["b_correct"].to_numpy()
        table = paired_table(a, b)
        low, high = newcombe_paired_ci(table)
        rows.append(
            {
                "task": name,
                "n": len(a),
                "acc_a": float(a.mean()),
                "acc_b": float(b.mean()),
                "diff": float(b.mean() - a.mean()),
                "ci_low": low,
                "ci_high": high,
                "p_mcnemar": mcnemar_exact(table.a_only, table.b_only),
                "both_right": table.both_right,
                "a_only": table.a_only,
                "b_only": table.b_only,
                "both_wrong": table.both_wrong,
            }
        )
    summary = pl.DataFrame(rows, schema={k: v for k, v in COMPARE_SCHEMA.items() if k != "p_holm"})
    return with_holm(summary, "task").select(list(COMPARE_SCHEMA))


def with_side_intervals(summary: pl.DataFrame) -> pl.DataFrame:
    """Add a_low, a_high, b_low, b_high: the 95% Wilson intervals of A's and B's accuracy per row."""
    counted = summary.with_columns(
        (pl.col("both_right") + pl.col("a_only")).alias("_right_a"),
        (pl.col("both_right") + pl.col("b_only")).alias("_right_b"),
    )
    for side in ("a", "b"):
        counted = with_wilson(counted, n_correct=f"_right_{side}").rename(
            {"acc_low": f"{side}_low", "acc_high": f"{side}_high"}
        )
    return counted.drop("_right_a", "_right_b")


def with_holm(frame: pl.DataFrame, family_of: str, by: Sequence[str] = ()) -> pl.DataFrame:
    """Add `p_holm`: p_mcnemar Holm-adjusted over the per-task rows of each group `by`; the pooled row
    (`family_of` == ALL_TASKS) is one test of its own and keeps its raw p-value."""
    if frame.is_empty():
        return frame.with_columns(pl.lit(None, pl.Float64).alias("p_holm"))
    adjusted = [None] * frame.height
    indexed = frame.with_row_index("_row")
    families = [indexed] if not by else [part for _, part in indexed.group_by(list(by), maintain_order=True)]
    for part in families:
        tasks = part.filter(pl.col(family_of) != ALL_TASKS)
        for row, p in zip(tasks["_row"].to_list(), holm(tasks["p_mcnemar"].to_list())):
            adjusted[row] = p
        for row, p in part.filter(pl.col(family_of) == ALL_TASKS).select("_row", "p_mcnemar").rows():
            adjusted[row] = p
    return frame.with_columns(pl.Series("p_holm", adjusted, dtype=pl.Float64))


COMPARE_SCHEMA = {
    "task": pl.String,
    "n": pl.Int64,
    "acc_a": pl.Float64,
    "acc_b": pl.Float64,
    "diff": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_mcnemar": pl.Float64,
    "p_holm": pl.Float64,
    "both_right": pl.Int64,
    "a_only": pl.Int64,
    "b_only": pl.Int64,
    "both_wrong": pl.Int64,
}


def subject_differences(pairs: pl.DataFrame) -> pl.DataFrame:
    """Accuracy of A and B per (task, subject) and B - A; questions without a subject count under their task."""
    return (
        pairs.with_columns(pl.col("subject").fill_null("(all)"))
        .group_by("task", "subject")
        .agg(pl.len().alias("n"), pl.col("a_correct").mean().alias("acc_a"), pl.col("b_correct").mean().alias("acc_b"))
        .with_columns((pl.col("acc_b") - pl.col("acc_a")).alias("diff"))
        .sort("task", "subject")
    )


def discordant(pairs: pl.DataFrame) -> pl.DataFrame:
    """Questions exactly one of A and B got right, with who did."""
    return pairs.filter(pl.col("a_correct") != pl.col("b_correct")).with_columns(
        pl.when(pl.col("a_correct")).then(pl.lit("A")).otherwise(pl.lit("B")).alias("right")
    )


# ------------------------------------------------------------------ history


def history_table(history: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """One row per version in order: accuracy per task, the average (only with every task) and questions."""
    tasks = list(tasks)
    per_version = history.group_by("position", "entry_id", "label", "released_at", "first_run_at").agg(
        pl.len().alias("tasks_present"),
        pl.col("n").sum().alias("questions"),
        (pl.col("n_correct").sum() / pl.col("n").sum()).alias("weighted"),
        pl.col("acc").alias("task_accuracies"),
    )
    wide = history.pivot(on="task", index="position", values="acc")
    per_version = per_version.with_columns(distinct_version_labels(per_version))
    table = per_version.join(wide, on="position").with_columns(average_of_all_tasks(len(tasks)))
    present = [t for t in tasks if t in table.columns]
    return table.select(
        "position", "entry_id", "label", "released_at", "first_run_at", "average", "weighted", *present, "questions"
    ).sort("position")


def history_export(history: pl.DataFrame, shown: pl.DataFrame, tasks: Sequence[str]) -> pl.DataFrame:
    """The History versions table `shown` (one row per position) for a CSV: as shown, plus per task its 95%
    Wilson `low` and `high` (%) and `n` after the task's accuracy."""
    cells = with_wilson(history)
    export = shown
    for task in [t for t in tasks if t in shown.columns]:
        part = cells.filter(pl.col("task") == task).select(
            "position",
            (pl.col("acc_low") * 100).round(2).alias(f"{task} low"),
            (pl.col("acc_high") * 100).round(2).alias(f"{task} high"),
            pl.col("n").alias(f"{task} n"),
        )
        export = export.join(part, on="position", how="left")
    order = []
    for column in shown.columns:
        order.append(column)
        if column in tasks:
            order += [f"{column} low", f"{column} high", f"{column} n"]
    return export.select(order).sort("position")


def distinct_version_labels(versions: pl.DataFrame) -> pl.Series:
    """`label` of each version, with its position added where two versions of a model share a label (two
    runs of "GGUF Q4" on different files), so selectors and the from/to columns tell them apart."""
    counts = versions.group_by("label").len()
    shared = set(counts.filter(pl.col("len") > 1)["label"].to_list())
    return pl.Series(
        "label",
        [
            f"{label} (#{pos})" if label in shared else label
            for label, pos in versions.select("label", "position").rows()
        ],
        dtype=pl.String,
    )


def transitions(flips: pl.DataFrame, versions: pl.DataFrame) -> pl.DataFrame:
    """Per consecutive pair of versions: fixed, broken, still wrong, B − A with its 95% interval (Newcombe's
    paired method), McNemar p, its Holm adjustment over the tasks of that step, and a regression flag,
    pooled over tasks (task = ALL_TASKS) and per task. A regression is a drop (broken > fixed) whose
    adjusted p is below 0.05 (the pooled row is one test: its adjusted p is its raw p)."""
    if flips.is_empty():
        return pl.DataFrame()
    pooled = flips.group_by("from_position", "to_position").agg(
        pl.lit(ALL_TASKS).alias("task"), pl.col("fixed", "broken", "still_wrong", "still_right").sum()
    )
    both = pl.concat([pooled, flips.select(pooled.columns)], how="vertical_relaxed")
    labels = dict(zip(versions["position"].to_list(), versions["label"].to_list()))
    tables = [
        PairedTable(right, broken, fixed, wrong)
        for right, broken, fixed, wrong in both.select("still_right", "broken", "fixed", "still_wrong").rows()
    ]
    intervals = [newcombe_paired_ci(t) for t in tables]
    sizes = [t.both_right + t.a_only + t.b_only + t.both_wrong for t in tables]
    moves = both.with_columns(
        pl.col("from_position").replace_strict(labels, return_dtype=pl.String).alias("from"),
        pl.col("to_position").replace_strict(labels, return_dtype=pl.String).alias("to"),
        pl.Series("n", sizes, dtype=pl.Int64),
        pl.Series("diff", [(t.b_only - t.a_only) / n for t, n in zip(tables, sizes)], dtype=pl.Float64),
        pl.Series("ci_low", [low for low, _ in intervals], dtype=pl.Float64),
        pl.Series("ci_high", [high for _, high in intervals], dtype=pl.Float64),
        pl.Series("p_mcnemar", [mcnemar_exact(t.a_only, t.b_only) for t in tables], dtype=pl.Float64),
    )
    return (
        with_holm(moves, "task", by=["from_position", "to_position"])
        .with_columns(((pl.col("broken") > pl.col("fixed")) & (pl.col("p_holm") < REGRESSION_P)).alias("regression"))
        .sort("from_position", pl.col("task") != ALL_TASKS, "task")
    )


def flip_set(pairs: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The questions of one flip kind between an earlier version (A) and a later one (B)."""
    if kind not in FLIP_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FLIP_KINDS)}, not {kind!r}")
    before, after = FLIP_KINDS[kind]
    return pairs.filter((pl.col("a_correct") == before) & (pl.col("b_correct") == after))


# ------------------------------------------------------------------ questions


def option_label(options: Sequence[str], index: int | None) -> str:
    if index is None or not 0 <= index < len(options):
        return "no answer"
    return f"{LETTERS[index]}. {options[index]}"


def answer_label(options: Sequence[str], pred: int | None, pred_set: Sequence[int] | None = None) -> str:
    """The answer an entry gave: a set for multi-answer tasks, else one option."""
    if pred_set:
        return ", ".join(LETTERS[i] for i in sorted(pred_set))
    return option_label(options, pred)


def gold_label(options: Sequence[str], golds: Sequence[int]) -> str:
    return ", ".join(option_label(options, g) for g in golds)


def difficulty(answers: pl.DataFrame) -> float | None:
    """Share of entries that got the question right (None when nobody answered it)."""
    return answers.select(items.difficulty(pl.col("correct"))).item()
