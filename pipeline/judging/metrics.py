"""K-QA's metrics (Manes et al. 2024), as pure reducers over one judge's stored verdicts.

Per answer:
  comprehensiveness  the share of its question's Must_have statements the judge says the answer entails;
  hallucinations     the number of its gold statements (Must_have and Nice_to_have) it contradicts;
  hallucination_rate the share of its judged statements it contradicts.
A verdict the judge gave no reading of ("unparsed") or could not give ("failed") is left out of the share's
denominator and counted in n_unparsed: never read as "not entailed" or "not contradicted".

Per run: the mean over questions, with a 95% Student t interval over questions (scipy.stats.t).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scipy import stats

UNREAD = ("unparsed", "failed")


@dataclass(frozen=True)
class AnswerScore:
    question_id: str
    comprehensiveness: float | None  # None: no Must_have statement had a verdict
    hallucinations: int
    hallucination_rate: float | None
    n_must_have: int
    n_unparsed: int


@dataclass(frozen=True)
class Mean:
    n: int
    mean: float | None
    low: float | None
    high: float | None
    method: str = "mean over questions, 95% Student t interval (scipy.stats.t)"


def score_answer(question_id: str, verdicts: Iterable[Mapping]) -> AnswerScore:
    """verdicts: rows with kind (Must_have | Nice_to_have), relation (entails | contradicts), verdict."""
    rows = list(verdicts)
    entails = [r for r in rows if r["relation"] == "entails" and r["kind"] == "Must_have"]
    contradicts = [r for r in rows if r["relation"] == "contradicts"]
    read_entails = [r for r in entails if r["verdict"] not in UNREAD]
    read_contradicts = [r for r in contradicts if r["verdict"] not in UNREAD]
    hallucinations = sum(r["verdict"] == "true" for r in read_contradicts)
    return AnswerScore(
        question_id=question_id,
        comprehensiveness=_share(sum(r["verdict"] == "true" for r in read_entails), len(read_entails)),
        hallucinations=hallucinations,
        hallucination_rate=_share(hallucinations, len(read_contradicts)),
        n_must_have=len(entails),
        n_unparsed=sum(r["verdict"] in UNREAD for r in rows),
    )


def score_answers(verdicts: Iterable[Mapping]) -> list[AnswerScore]:
    """One AnswerScore per question, in question order."""
    by_question: dict[str, list[Mapping]] = {}
    for row in verdicts:
        by_question.setdefault(row["question_id"], []).append(row)
    return [score_answer(q, rows) for q, rows in sorted(by_question.items())]


def mean_interval(values: Iterable[float | None]) -> Mean:
    xs = [float(v) for v in values if v is not None]
    if not xs:
        return Mean(0, None, None, None)
    mean = sum(xs) / len(xs)
    if len(xs) < 2:
        return Mean(len(xs), mean, None, None)
    sem = stats.sem(xs)
    if sem == 0 or math.isnan(sem):
        return Mean(len(xs), mean, mean, mean)
    low, high = stats.t.interval(0.95, len(xs) - 1, loc=mean, scale=sem)
    return Mean(len(xs), mean, float(low), float(high))


def summarize(scores: Iterable[AnswerScore]) -> dict[str, Mean]:
    scores = list(scores)
    return {
        "comprehensiveness": mean_interval(s.comprehensiveness for s in scores),
        "hallucinations": mean_interval(s.hallucinations for s in scores),
        "hallucination_rate": mean_interval(s.hallucination_rate for s in scores),
    }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class PairedDifference:
    n: int  # questions both entries answered (with a value)
    mean: float | None  # mean of a - b
    low: float | None
    high: float | None
    p_value: float | None
    method: str = (
        "paired differences over shared questions: 95% Student t interval, paired t-test (scipy.stats.ttest_rel)"
    )


def paired_difference(a: Mapping[str, float | None], b: Mapping[str, float | None]) -> PairedDifference:
    """a and b: question_id -> one answer's score (e.g. comprehensiveness) of two entries judged by the same judge."""
    shared = sorted(q for q in a.keys() & b.keys() if a[q] is not None and b[q] is not None)
    xs, ys = [float(a[q]) for q in shared], [float(b[q]) for q in shared]
    diff = mean_interval(x - y for x, y in zip(xs, ys))
    p_value = None
    if len(shared) > 1 and any(x != y for x, y in zip(xs, ys)):
        p_value = float(stats.ttest_rel(xs, ys).pvalue)
    return PairedDifference(len(shared), diff.mean, diff.low, diff.high, p_value)
