"""A judged run's K-QA scores as the CLI prints them: always with the judge named and its measured agreement."""

from __future__ import annotations

from pipeline.judging.agreement import status
from pipeline.judging.metrics import score_answers, summarize
from warehouse import judged
from warehouse.db import read_connection


def judge_agreement(con, judge_id: str) -> dict[str, dict | None]:
    """relation -> the judge's largest stored check, or None where it was never checked."""
    checks = judged.judge_checks(con, judge_id)
    found: dict[str, dict | None] = {"entails": None, "contradicts": None}
    for row in checks.iter_rows(named=True):
        found[row["relation"]] = found[row["relation"]] or row
    return found


def format_scores(path, judge_id: str, run_id: str) -> str:
    with read_connection(path) as con:
        verdicts = judged.run_verdicts(con, judge_id, run_id)
        checks = judge_agreement(con, judge_id)
    scores = score_answers(verdicts.iter_rows(named=True))
    summary = summarize(scores)
    unparsed = sum(s.n_unparsed for s in scores)
    lines = [f"K-QA run {run_id}, judge {judge_id}: {len(scores)} answers, {unparsed} verdicts unparsed (left out)"]
    relation_of = {"comprehensiveness": "entails", "hallucinations": "contradicts", "hallucination_rate": "contradicts"}
    for name, mean in summary.items():
        value = "-" if mean.mean is None else f"{mean.mean:.4f}"
        interval = "" if mean.low is None else f"  [{mean.low:.4f}, {mean.high:.4f}]"
        lines.append(f"{name:20} {value:>8}{interval}  judge: {status(checks[relation_of[name]])}")
    lines.append(f"intervals: {next(iter(summary.values())).method}")
    return "\n".join(lines)
