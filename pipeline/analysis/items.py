"""Item quality (difficulty, discrimination) and clinical slices (accuracy per subject or step).

Item statistics follow classical test theory, with the models as the test takers (leaderboard entries:
a model version under one shot count and scoring mode):
- difficulty: the share of takers that answer the item right (the CTT "p-value"; LOWER means harder).
  An item every taker gets wrong is worth a look: it is often mislabelled.
- discrimination: the point-biserial correlation, across takers, between being right on the item and
  the taker's ability, where ability is its accuracy on the OTHER items it answered (leave-item-out,
  so an item does not correlate with itself). Near 0 or negative: the item does not separate strong
  models from weak ones (noise, or a wrong key). NaN when it cannot be computed: fewer than 3 takers,
  or everyone right / everyone wrong, or all abilities equal.

Input for items: one row per (test taker, question) with `correct` (analysis_item_responses.sql, where
the takers are leaderboard entries). The caller chooses the item pool (e.g. one task): ability is
computed over the rows given.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

MIN_TAKERS_FOR_DISCRIMINATION = 3


def difficulty(correct: pl.Expr) -> pl.Expr:
    """An item's difficulty: the share of takers that got it right, null without takers (SQL: the
    difficulty macro of migration 007)."""
    return correct.cast(pl.Float64).mean()


def item_stats(responses: pl.DataFrame, taker: str = "entry_id", item: str = "question_id") -> pl.DataFrame:
    """question_id, n_takers, n_correct, difficulty, discrimination: one row per item.

    `taker` names the column that identifies a test taker: a leaderboard entry (a model version under
    one shot count and scoring mode, as analysis_item_responses.sql returns) or a plain version_id."""
    x = pl.col("correct").cast(pl.Float64)
    totals = responses.group_by(taker).agg(x.sum().alias("_total"), pl.len().alias("_answered"))
    rows = responses.join(totals, on=taker).with_columns(
        # leave-item-out ability; a taker that answered only this item has none
        pl.when(pl.col("_answered") > 1)
        .then((pl.col("_total") - x) / (pl.col("_answered") - 1))
        .otherwise(None)
        .alias("_ability")
    )
    stats = rows.group_by(item).agg(
        pl.len().alias("n_takers"),
        x.sum().cast(pl.Int64).alias("n_correct"),
        difficulty(pl.col("correct")).alias("difficulty"),
        _point_biserial(x, pl.col("_ability")).alias("discrimination"),
    )
    return stats.sort("difficulty", "discrimination", item, nulls_last=True)


def _point_biserial(x: pl.Expr, y: pl.Expr) -> pl.Expr:
    """Pearson r of a 0/1 column against ability over the takers that have an ability (NaN if undefined)."""
    has = y.is_not_null()
    xs, ys = x.filter(has), y.filter(has)
    n = has.sum().cast(pl.Float64)
    sxy = n * (xs * ys).sum() - xs.sum() * ys.sum()
    sxx = n * (xs * xs).sum() - xs.sum() ** 2
    syy = n * (ys * ys).sum() - ys.sum() ** 2
    denominator = (sxx * syy).sqrt()
    # tolerance: sums of equal floats may leave a ~1e-16 residue where the variance is truly zero
    defined = (n >= MIN_TAKERS_FOR_DISCRIMINATION) & (sxx > 1e-12) & (syy > 1e-12)
    return pl.when(defined).then(sxy / denominator).otherwise(float("nan"))


def hardest(stats: pl.DataFrame, k: int = 20, min_takers: int = 2) -> pl.DataFrame:
    """The k items with the lowest difficulty among those answered by at least `min_takers` takers."""
    return stats.filter(pl.col("n_takers") >= min_takers).sort("difficulty", "question_id").head(k)


def everyone_wrong(stats: pl.DataFrame, min_takers: int = 2) -> pl.DataFrame:
    """Items no taker gets right (answered by at least `min_takers`): candidates for a wrong key."""
    return stats.filter((pl.col("n_takers") >= min_takers) & (pl.col("n_correct") == 0)).sort("question_id")


def slice_matrix(
    slices: pl.DataFrame, value: str = "accuracy", rows: Sequence[str] = ("entry_id", "label"), column: str = "slice"
) -> pl.DataFrame:
    """Models x slices: one row per entry (model version x shots x scoring mode), one column per slice,
    sorted by slice name (rows as analysis_slices.sql returns them: entry_id, label, slice, accuracy...)."""
    index = list(rows)
    order = sorted(slices[column].unique().to_list())
    wide = slices.pivot(on=column, index=index, values=value, aggregate_function=None)
    return wide.select(*index, *[c for c in order if c in wide.columns]).sort(index)
