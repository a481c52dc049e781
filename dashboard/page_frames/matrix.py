"""The question matrix of the Questions page: one row per question, one column per model version, each cell
right, wrong or invalid (empty where that version did not answer), with a count of each outcome per row."""

from __future__ import annotations

import polars as pl

OUTCOMES = ("right", "wrong", "invalid")


def outcome_matrix(long: pl.DataFrame, order: list[str], labels: dict[str, str]) -> pl.DataFrame:
    """`long` (entry_id, question_id, task, outcome) pivoted: questions in `order` (the list's), model columns
    named by their display labels in `labels`' order, then the number of versions per outcome."""
    columns = [entry for entry in labels if entry in set(long["entry_id"].to_list())]
    rows = pl.DataFrame({"question_id": order}, schema={"question_id": pl.String})
    if long.is_empty():
        return rows.with_columns(pl.lit(None, pl.String).alias("task"))
    wide = long.pivot(on="entry_id", index=["question_id", "task"], values="outcome")
    counts = long.group_by("question_id").agg(
        *[(pl.col("outcome") == outcome).sum().alias(outcome) for outcome in OUTCOMES]
    )
    matrix = rows.join(wide, on="question_id", how="inner", maintain_order="left").join(
        counts, on="question_id", how="left", maintain_order="left"
    )
    return matrix.select("question_id", "task", *[pl.col(entry).alias(labels[entry]) for entry in columns], *OUTCOMES)
