"""`medlb judge-check`: run a judge on the physician-labelled K-QA pairs and store its agreement with them."""

from __future__ import annotations

from pipeline.benchmarks import kqa
from pipeline.judging.agreement import CATEGORIES, agreement, physicians_ceiling
from pipeline.judging.judge import RELATIONS, Judge, judge_pairs, judge_set_pairs, register
from warehouse import judged
from warehouse.db import execute_write, read_connection


def judge_check(path, judge: Judge, limit: int | None = None, batch_size: int = 8, progress: bool = True) -> list[dict]:
    """Judge the first `limit` pairs (all 399 by default), both relations; returns and stores the figures."""
    register(path, judge)
    judge_pairs(path, judge, judged.JUDGE_SET_RUN, judge_set_pairs(limit), batch_size, progress)
    with read_connection(path) as con:
        frame = judged.judge_set_verdicts(con, judge.judge_id)
    verdict = {(r["pair_id"], r["relation"]): r["verdict"] for r in frame.iter_rows(named=True)}
    every = kqa.load_judge_set()
    checked = every[:limit] if limit is not None else every
    results = []
    for relation in RELATIONS:
        figures = agreement(relation, [p.majority for p in checked], [verdict[(p.pair_id, relation)] for p in checked])
        figures["ceiling_kappa"] = physicians_ceiling(relation, [p.labels for p in every])  # all 399, whatever limit
        results.append({"judge_id": judge.judge_id, **figures})

    def write(con):
        for figures in results:
            judged.write_judge_check(con, figures)

    execute_write(write, path)
    return results


def format_check(results: list[dict]) -> str:
    header = (
        f"{'relation':12} {'pairs':>5} {'accuracy':>8}  Wilson 95%        {'macro-F1':>8} {'kappa':>6} {'ceiling':>7}"
    )
    lines = [header + " unparsed"]
    for r in results:
        kappa = "-" if r["kappa"] is None else f"{r['kappa']:.3f}"
        f1 = "-" if r["macro_f1"] is None else f"{r['macro_f1']:.3f}"
        lines.append(
            f"{r['relation']:12} {r['n_pairs']:5d} {r['accuracy']:8.3f}  [{r['accuracy_low']:.3f}, {r['accuracy_high']:.3f}]"
            f"  {f1:>8} {kappa:>6} {r['ceiling_kappa']:7.3f} {r['n_unparsed']:8d}"
        )
    lines.append(
        "kappa: Cohen's vs the physicians' majority; ceiling: Fleiss' kappa of the three physicians (399 pairs)"
    )
    for r in results:
        lines += ["", *format_confusion(r["relation"], r["confusion"])]
    return "\n".join(lines)


def format_confusion(relation: str, confusion: dict[str, int]) -> list[str]:
    """The confusion table of one relation: rows the physicians' majority, columns the judge's verdict."""
    lines = [f"{relation}: physicians (rows) x judge (columns)", f"{'':12}" + "".join(f"{c:>10}" for c in CATEGORIES)]
    for truth in ("true", "false"):
        lines.append(f"{truth:12}" + "".join(f"{confusion.get(f'{truth}/{c}', 0):10d}" for c in CATEGORIES))
    return lines
