"""Work units and which actor retries a failed one (no Ray needed)."""

from __future__ import annotations

import pytest

from pipeline.distributed.units import Unit, pick_actor, split_units
from pipeline.run import Item
from warehouse.records import Question


def items(n: int) -> list[Item]:
    return [
        Item(Question(id=f"t/{i}", task="t", source_id=str(i), text="q", options=("a", "b"), golds=(0,)))
        for i in range(n)
    ]


def test_split_units_keeps_plan_order_and_every_item_once():
    todo = items(7)
    units = split_units(todo, 3)
    assert [len(u) for u in units] == [3, 3, 1]
    assert [u.index for u in units] == [0, 1, 2]
    assert [i for u in units for i in u.items] == todo
    assert split_units([], 3) == []
    with pytest.raises(ValueError):
        split_units(todo, 0)


def test_a_failed_unit_goes_to_another_actor_first():
    unit = Unit(0, items(1), failed_on={1})
    assert pick_actor(unit, free=[1, 0], live=[0, 1]) == 0
    assert pick_actor(unit, free=[1], live=[0, 1]) is None  # actor 0 is busy but fresh: wait for it
    assert pick_actor(unit, free=[1], live=[1]) == 1  # the only actor left gets it again
    assert pick_actor(unit, free=[], live=[1]) is None
