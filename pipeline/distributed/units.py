"""Units of work: a run's missing items (questions, answers to write, pairs to judge) in consecutive slices,
each remembering who failed it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Unit:
    index: int
    items: list
    attempts: int = 0
    failed_on: set[int] = field(default_factory=set)  # actor slots that failed it: retry elsewhere first
    errors: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)


def split_units(todo: Sequence, size: int) -> list[Unit]:
    """Consecutive slices of `size` items (the last may be shorter), in plan order."""
    if size < 1:
        raise ValueError(f"unit size must be at least 1, not {size}")
    return [Unit(n, list(todo[start : start + size])) for n, start in enumerate(range(0, len(todo), size))]


def pick_actor(unit: Unit, free: Sequence[int], live: Sequence[int]) -> int | None:
    """A free actor slot that has not failed this unit. None (wait) while such a slot is only busy; a slot
    that failed it only when no live actor is left that has not."""
    fresh = [slot for slot in free if slot not in unit.failed_on]
    if fresh:
        return fresh[0]
    if any(slot not in unit.failed_on for slot in live):
        return None
    return free[0] if free else None
