"""Rolling highest high / lowest low (trader/indicators/extremes.py) against max/min."""

from __future__ import annotations

import random

import pytest

from trader.indicators import HighestHigh, LowestLow

from .helpers import SEEDS, candles, walk


def batch_extreme(values: list[float], period: int, pick) -> list[float | None]:
    return [
        pick(values[end - period : end]) if end >= period else None
        for end in range(1, len(values) + 1)
    ]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("period", [1, 2, 3, 10, 40])
def test_extremes_are_the_max_and_min_of_the_last_period_values(seed, period):
    values = walk(random.Random(seed), 300)
    values += [values[-1]] * 20 + values[:50]  # ties and repeats
    high, low = HighestHigh(period), LowestLow(period)
    assert [high.update(v) for v in values] == batch_extreme(values, period, max)
    assert [low.update(v) for v in values] == batch_extreme(values, period, min)


def test_update_candle_reads_highs_for_the_high_and_lows_for_the_low():
    series = candles(random.Random(4), 100)
    high, low = HighestHigh(8), LowestLow(8)
    highs = [high.update_candle(c) for c in series]
    lows = [low.update_candle(c) for c in series]
    assert highs == batch_extreme([float(c.high) for c in series], 8, max)
    assert lows == batch_extreme([float(c.low) for c in series], 8, min)


@pytest.mark.parametrize("cls", [HighestHigh, LowestLow])
def test_warmup_is_period(cls):
    indicator = cls(3)
    assert indicator.warmup == 3
    assert [indicator.update(v) for v in (5.0, 1.0)] == [None, None]
    assert not indicator.ready
    assert indicator.update(3.0) == (5.0 if cls is HighestHigh else 1.0)
    assert indicator.ready


@pytest.mark.parametrize("cls", [HighestHigh, LowestLow])
def test_period_one_is_the_latest_value(cls):
    values = walk(random.Random(8), 50)
    indicator = cls(1)
    assert [indicator.update(v) for v in values] == values


def test_an_old_extreme_leaves_the_window():
    high = HighestHigh(3)
    assert [high.update(v) for v in (9.0, 1.0, 2.0, 3.0, 1.0, 1.0, 1.0)] == [
        None,
        None,
        9.0,
        3.0,
        3.0,
        3.0,
        1.0,
    ]


@pytest.mark.parametrize("cls", [HighestHigh, LowestLow])
@pytest.mark.parametrize("bad", [0, -2])
def test_a_period_below_one_is_refused(cls, bad):
    with pytest.raises(ValueError, match="period must be >= 1"):
        cls(bad)
