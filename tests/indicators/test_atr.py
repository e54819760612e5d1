"""ATR (trader/indicators/atr.py) against a batch computation from Wilder's definition."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from trader.indicators import ATR

from .helpers import SEEDS, candles, hlc


def batch_atr(bars: list[tuple[float, float, float]], period: int) -> list[float | None]:
    """TR_1 = h - l, TR_t = max(h - l, |h - c_prev|, |l - c_prev|); the first ATR is the
    mean of the first `period` TRs, then ATR = (ATR*(period-1) + TR)/period."""
    ranges = [bars[0][0] - bars[0][1]] + [
        max(h - low, abs(h - previous[2]), abs(low - previous[2]))
        for previous, (h, low, _) in pairwise(bars)
    ]
    out: list[float | None] = [None] * (period - 1)
    average = sum(ranges[:period]) / period
    out.append(average)
    for latest in ranges[period:]:
        average = (average * (period - 1) + latest) / period
        out.append(average)
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("period", [1, 2, 7, 14])
def test_atr_matches_wilders_definition_over_random_candles(seed, period):
    bars = [hlc(c) for c in candles(random.Random(seed), 200)]
    atr = ATR(period)
    got = [atr.update(*bar) for bar in bars]
    for g, e in zip(got, batch_atr(bars, period), strict=True):
        assert g == (None if e is None else pytest.approx(e, rel=1e-10, abs=1e-12))


def test_true_range_counts_gaps_from_the_previous_close():
    atr = ATR(2)
    assert atr.update(10.0, 8.0, 9.0) is None  # TR 2 (no previous close)
    assert atr.update(12.0, 11.0, 11.5) == 2.5  # TR max(1, 3, 2) = 3; (2 + 3) / 2
    assert atr.update(11.0, 9.0, 10.0) == 2.5  # TR max(2, 0.5, 2.5) = 2.5; (2.5 + 2.5) / 2
    assert atr.update(10.5, 10.0, 10.2) == 1.5  # TR max(0.5, 0.5, 0) = 0.5; (2.5 + 0.5) / 2


def test_warmup_is_period():
    atr = ATR(3)
    assert atr.warmup == 3
    assert [atr.update(2.0, 1.0, 1.5) for _ in range(2)] == [None, None]
    assert atr.update(2.0, 1.0, 1.5) == 1.0
    assert atr.ready


def test_candles_that_never_move_have_zero_range():
    atr = ATR(5)
    assert [atr.update(4.0, 4.0, 4.0) for _ in range(10)][4:] == [0.0] * 6


def test_period_one_is_the_latest_true_range():
    atr = ATR(1)
    assert atr.update(5.0, 4.0, 4.5) == 1.0
    assert atr.update(4.2, 4.0, 4.1) == 0.5


@pytest.mark.parametrize("bad", [0, -3])
def test_a_period_below_one_is_refused(bad):
    with pytest.raises(ValueError, match="period must be >= 1"):
        ATR(bad)
