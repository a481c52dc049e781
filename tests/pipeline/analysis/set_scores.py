"""Exact match ratio and Hamming score of answer sets, by the SQL macros that are their one home
(set_exact, set_hamming of migration 007), averaged over questions as analysis_multilabel.sql does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb

from warehouse.migrate import migrate


def set_scores(preds: Sequence[Iterable[int]], golds: Sequence[Iterable[int]]) -> tuple[float | None, float | None]:
    """(EMR, Hamming score) over the questions; None for both when there are none."""
    assert len(preds) == len(golds), "predicted and gold sets must pair up"
    with duckdb.connect() as con:
        migrate(con)
        con.execute("CREATE TABLE sets (pred_set INTEGER[], golds INTEGER[])")
        if preds:
            con.executemany("INSERT INTO sets VALUES (?, ?)", [[sorted(p), sorted(g)] for p, g in zip(preds, golds)])
        return con.execute(
            "WITH final AS (SELECT avg(set_exact(pred_set, golds)::DOUBLE) AS emr,"
            " avg(set_hamming(pred_set, golds)) AS hamming FROM sets) SELECT emr, hamming FROM final"
        ).fetchall()[0]
