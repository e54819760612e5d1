"""EX-4: sizes and prices land on the product's grid — floored or ceiled to a multiple of
the increment, written with the increment's places — the same Decimal whether the
increment is a power of ten (one quantize) or not (whole increments counted)."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pytest

from trader.core.products import Grid, ceil_to_increment, floor_to_increment, grids_of

from ..risk.factories import rules

INCREMENTS = [
    "0.01", "0.00000001", "1", "1E+1", "1E+2", "0.1",  # powers of ten
    "0.010", "10", "100", "0.5", "0.05", "25", "0.0025", "0.00000500",  # the others
]  # fmt: skip


def _counted(value: Decimal, increment: Decimal, rounding: str) -> Decimal:
    steps = (value / increment).to_integral_value(rounding=rounding)
    return (steps * increment).quantize(increment)


def _values(seed: int) -> list[Decimal]:
    rng = random.Random(seed)
    made = [Decimal(0), Decimal("-0"), Decimal("0.00"), Decimal("123.455"), Decimal("-7.5")]
    for _ in range(300):
        digits = rng.randint(1, 16)
        places = rng.randint(0, 10)
        text = str(rng.randrange(10**digits)).rjust(places + 1, "0")
        text = f"{text[: len(text) - places]}.{text[len(text) - places :]}" if places else text
        made.append(Decimal(("-" if rng.random() < 0.2 else "") + text))
    return made


@pytest.mark.parametrize("increment", INCREMENTS)
@pytest.mark.parametrize("seed", range(3))
def test_ex4_floor_and_ceil_match_counting_whole_increments(increment, seed):
    step = Decimal(increment)
    for value in _values(seed):
        for rounded, rounding in (
            (floor_to_increment, ROUND_FLOOR),
            (ceil_to_increment, ROUND_CEILING),
        ):
            got, want = rounded(value, step), _counted(value, step, rounding)
            assert (str(got), got.is_signed()) == (str(want), want.is_signed()), (value, step)
            assert got % step == 0


def test_ex4_equal_increments_written_differently_keep_their_own_grid():
    value = Decimal("1.2345")
    assert str(floor_to_increment(value, Decimal("0.01"))) == "1.23"
    assert str(floor_to_increment(value, Decimal("0.010"))) == "1.230"
    assert str(ceil_to_increment(value, Decimal("0.010"))) == "1.240"
    assert str(floor_to_increment(value, Decimal("0.01"))) == "1.23"


@pytest.mark.parametrize("increment", ["0", "-0.01"])
def test_ex4_an_increment_that_is_not_positive_is_refused(increment):
    with pytest.raises(ValueError, match="increment must be positive"):
        floor_to_increment(Decimal(1), Decimal(increment))


@pytest.mark.parametrize("increment", INCREMENTS)
def test_ex4_a_grid_rounds_as_the_functions_do(increment):
    """A grid (its kind worked out once) gives the same Decimal, digits and places, as
    floor_to_increment / ceil_to_increment on its increment."""
    step = Decimal(increment)
    grid = Grid(step)
    for value in _values(7):
        for got, want in (
            (grid.floor(value), floor_to_increment(value, step)),
            (grid.ceil(value), ceil_to_increment(value, step)),
        ):
            assert (str(got), got.is_signed()) == (str(want), want.is_signed()), (value, step)


@pytest.mark.parametrize("increment", ["0", "-0.01"])
def test_ex4_a_grid_that_is_not_positive_refuses_to_round(increment):
    grid = Grid(Decimal(increment))  # made without complaint: the rounding refuses
    with pytest.raises(ValueError, match="increment must be positive"):
        grid.floor(Decimal(1))
    with pytest.raises(ValueError, match="increment must be positive"):
        grid.ceil(Decimal(1))


def test_ex4_a_products_grids_are_its_rules_increments_made_once():
    r = replace(rules("X-USD"), base_increment=Decimal("0.0010"), quote_increment=Decimal("0.05"))
    grids = grids_of(r)
    assert grids is grids_of(r)
    assert grids.base.increment is r.base_increment and grids.quote.increment is r.quote_increment
    assert str(grids.base.floor(Decimal("1.23456"))) == "1.2340"  # the increment's places
    assert str(grids.quote.ceil(Decimal("10.01"))) == "10.05"
