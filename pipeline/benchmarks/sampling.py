"""The demo's fixed stratified subset. The rule is spelled out in data/DEMO_SAMPLE.md; keep the two in step.

Only sha256 and integer arithmetic decide what is picked, so the sample is the same on every machine
and Python version (no `random`, no float rounding, no dict-order or hash-seed dependence).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence

from warehouse.records import Question


def sample_key(seed: int, name: str) -> str:
    return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()


def stratum_of(question: Question) -> str:
    """Subject (where the source has one) and the gold option(s): a JSON label, stable across runs."""
    return json.dumps([question.subject or "", list(question.golds)], ensure_ascii=False)


def quotas(sizes: dict[str, int], k: int, seed: int) -> dict[str, int]:
    """Largest-remainder (Hamilton) apportionment of k picks over strata, proportional to their sizes.

    Ties in the remainder go to the stratum with the smaller sample_key(seed, label).
    """
    total = sum(sizes.values())
    floors = {label: k * size // total for label, size in sizes.items()}
    remainders = {label: k * size % total for label, size in sizes.items()}
    left = k - sum(floors.values())
    for label in sorted(sizes, key=lambda s: (-remainders[s], sample_key(seed, s)))[:left]:
        floors[label] += 1
    return floors


def stratified_sample(questions: Sequence[Question], k: int, seed: int) -> list[Question]:
    """k questions: each stratum's quota filled by its lowest sample_key(seed, id); returned in file order."""
    if k < 0:
        raise ValueError(f"per_task must be >= 0, got {k}")
    if k >= len(questions):
        return list(questions)
    strata: dict[str, list[Question]] = defaultdict(list)
    for question in questions:
        strata[stratum_of(question)].append(question)
    picked: set[str] = set()
    for label, quota in quotas({label: len(members) for label, members in strata.items()}, k, seed).items():
        ranked = sorted(strata[label], key=lambda q: sample_key(seed, q.id))
        picked.update(q.id for q in ranked[:quota])
    return [q for q in questions if q.id in picked]
