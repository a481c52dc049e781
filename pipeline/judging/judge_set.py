"""The physician-labelled judge set mapped onto K-QA's questions and gold statements.

A judge-set pair (pair id "kqa-judge-set/<row>") is one commercial model's answer to a K-QA question and
one gold statement. It maps to a K-QA statement when its question text is one of the 201 questions' exactly
and its statement matches exactly one of that question's statements after stripping outer spaces: 385 of
the 399 pairs (8 questions are not among the 201 by exact text; 6 statements match none or two).

Two consumers share this one rule, so their verdicts line up statement by statement:
  pipeline.judging.physicians  imports the physicians' majority labels as the entries of "physicians (K-QA)";
  dashboard.answers_data       reads a machine judge's `medlb judge-check` verdicts (run JUDGE_SET_RUN,
                               statement id = pair id) as its verdicts on those same entries' statements
                               (judge bias per model). The pair's answer is the entry's answer for that
                               question: each (question, model) has one answer text in the file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pipeline.benchmarks import kqa


def matched_pairs():
    """(item, criterion, pair) for every judge-set pair whose question and statement are K-QA's; and the misses."""
    items = {item.question.text: item for item in kqa.load_open()}
    found, missed = [], 0
    for pair in kqa.load_judge_set():
        item = items.get(pair.question)
        hits = [c for c in item.criteria if c.text.strip() == pair.statement.strip()] if item else []
        if len(hits) != 1:
            missed += 1
            continue
        found.append((item, hits[0], pair))
    return found, missed


@dataclass(frozen=True)
class PairTarget:
    """Where one judge-set pair lands: the imported entry's model, the question and the gold statement."""

    pair_id: str
    model: str  # the model as the import names it (kqa.JUDGE_SET_MODELS), the entry's model_id
    question_id: str
    statement_id: str
    kind: str


@functools.cache
def pair_targets() -> tuple[PairTarget, ...]:
    found, _ = matched_pairs()
    return tuple(
        PairTarget(pair.pair_id, kqa.JUDGE_SET_MODELS[pair.answer_model], item.id, criterion.id, criterion.kind)
        for item, criterion, pair in found
    )
