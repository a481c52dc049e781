"""Prediction variants: the extra presentations of a question that robustness and bias metrics compare.

A variant is a name stored in `predictions.variant` next to the original ('' = as published):

    perm{k}     the options rotated cyclically by k positions (k = 1..N): shown option i is original
                option (i + k) mod n, so with k = 1 the original B is shown as A and the original A last.
    cf_sex      the vignette with the patient's sex swapped (pipeline.analysis.counterfactual)
    cf_race     the vignette with the patient's race or ethnicity swapped

A variant Question keeps the original's id (the warehouse key is (run, question, variant)), so the
metrics join every variant back to its original. Variants are pure functions of the original, so a
variant's exact text can always be rebuilt from the `questions` table; nothing else is stored.

`expand` is the one hook the run calls: perturbation specs in, (variant name, Question) pairs out.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline import benchmarks
from warehouse.records import Question

ORIGINAL = ""
PERM_PREFIX = "perm"
COUNTERFACTUAL_PREFIX = "cf_"
_PERM_NAME = re.compile(r"^perm([1-9][0-9]*)$")
_PERM_SPEC = re.compile(r"^perm:([1-9][0-9]*)$")


@dataclass(frozen=True)
class Variant:
    """A decoded variant name."""

    name: str
    kind: str  # original | perm | counterfactual
    shift: int = 0  # perm: the rotation k
    attribute: str | None = None  # counterfactual: "sex" | "race"


def perm_name(shift: int) -> str:
    return f"{PERM_PREFIX}{shift}"


def decode_variant(name: str) -> Variant:
    """'' -> original, 'perm3' -> rotation by 3, 'cf_sex' -> counterfactual on sex."""
    if name == ORIGINAL:
        return Variant(name, "original")
    match = _PERM_NAME.match(name)
    if match:
        return Variant(name, "perm", shift=int(match.group(1)))
    if name.startswith(COUNTERFACTUAL_PREFIX) and len(name) > len(COUNTERFACTUAL_PREFIX):
        return Variant(name, "counterfactual", attribute=name[len(COUNTERFACTUAL_PREFIX) :])
    raise ValueError(
        f"unknown prediction variant {name!r}: expected '' (original), 'perm<k>' with k >= 1, or 'cf_<attribute>'"
    )


def original_index(shown_index: int, shift: int, n_options: int) -> int:
    """Which original option sat at `shown_index` when the options were rotated by `shift`."""
    return (shown_index + shift) % n_options


def shown_index(original: int, shift: int, n_options: int) -> int:
    """Where original option `original` is shown after rotating by `shift` (inverse of original_index)."""
    return (original - shift) % n_options


def rotate(question: Question, shift: int) -> Question:
    """The question with its options rotated by `shift`; golds follow their option's content; same id.

    The one rotation of the project (prompts render whatever order it gives). A shift that is a multiple
    of the option count shows the original order, so it returns the question itself; any other shift is
    named by its remainder (-3 and 1 of four options are both "perm1").
    """
    n = len(question.options)
    if n == 0:
        raise ValueError(f"question {question.id} has no options to rotate")
    shift %= n
    if shift == 0:
        return question
    options = tuple(question.options[original_index(i, shift, n)] for i in range(n))
    golds = tuple(sorted(shown_index(g, shift, n) for g in question.golds))
    meta = {**question.meta, "variant": perm_name(shift), "rotation": shift}
    return dataclasses.replace(question, options=options, golds=golds, meta=meta)


def parse_perturbations(perturbations: Sequence[str]) -> tuple[int, bool]:
    """('perm:3', 'bias') -> (3 rotations, bias probe on). Unknown specs raise with the accepted forms."""
    n_perm, bias = 0, False
    for spec in perturbations:
        match = _PERM_SPEC.match(spec)
        if match:
            n_perm = max(n_perm, int(match.group(1)))
        elif spec == "bias":
            bias = True
        else:
            raise ValueError(f"unknown perturbation {spec!r}: use 'perm:N' (N >= 1 option rotations) or 'bias'")
    return n_perm, bias


def permutations(question: Question, n_perm: int) -> list[tuple[str, Question]]:
    """perm1..permN, capped at the n - 1 rotations that differ from the original order (perm n would
    show it again, perm n + 1 repeat perm1); none for tasks whose Task is not permutable (PubMedQA: the
    model scores the answer words themselves, so rotating them changes nothing the model sees)."""
    if not benchmarks.get_task(question.task).permutable or len(question.options) < 2:
        return []
    n_distinct = min(n_perm, len(question.options) - 1)
    return [(perm_name(k), rotate(question, k)) for k in range(1, n_distinct + 1)]


def expand(question: Question, perturbations: Sequence[str]) -> list[tuple[str, Question]]:
    """The extra (variant, Question) pairs to score for one question; the original is not included."""
    n_perm, bias = parse_perturbations(perturbations)
    out = permutations(question, n_perm)
    if bias:
        from pipeline.analysis.counterfactual import counterfactuals  # rules load only when asked for

        out.extend(counterfactuals(question))
    return out
