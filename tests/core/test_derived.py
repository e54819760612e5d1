"""PERF-4: values worked out once per object and found again by that very object."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader.core.derived import Derived


def test_perf4_made_once_per_object_and_found_by_that_object():
    made: list[object] = []

    def make(key: Decimal) -> str:
        made.append(key)
        return str(key)

    derived = Derived[Decimal, str](make)
    cent = Decimal("0.01")
    assert derived.get(cent) == "0.01"
    assert derived.get(cent) == "0.01"
    assert made == [cent]


def test_perf4_equal_objects_are_not_confused():
    """ "0.01" and "0.010" are equal Decimals but different grids: each gets its own value."""
    derived = Derived[Decimal, str](str)
    assert derived.get(Decimal("0.01")) == "0.01"
    assert derived.get(Decimal("0.010")) == "0.010"
    assert derived.get(Decimal("0.01")) == "0.01"


def test_perf4_an_entry_keeps_its_object_so_its_id_is_never_reused():
    derived = Derived[object, int](id)
    for _ in range(100):  # objects made and dropped: each must be its own entry
        key = object()
        assert derived.get(key) == id(key)
    assert len(derived) == 100


def test_perf4_bounded_when_full_it_starts_again():
    derived = Derived[Decimal, str](str, limit=3)
    keys = [Decimal(n) for n in range(7)]
    assert [derived.get(k) for k in keys] == [str(k) for k in keys]
    assert len(derived) <= 3
    assert derived.get(keys[0]) == "0"
    with pytest.raises(ValueError):
        Derived[Decimal, str](str, limit=0)
