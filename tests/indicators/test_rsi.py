"""Wilder's RSI (trader/indicators/rsi.py) against a batch computation from the definition.

No published reference series is used: the values of Wilder's own worked example in "New
Concepts in Technical Trading Systems" are not reproduced here because they could not be
checked with certainty. The reference is the batch formula below, written from Wilder's
definition over the whole series, plus hand-worked cases.
"""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from trader.indicators import RSI

from .helpers import SEEDS, walk


def batch_rsi(closes: list[float], period: int) -> list[float | None]:
    """RSI at every index: None before index `period`; first averages are the means of the
    first `period` gains/losses, then avg = (avg*(period-1) + x)/period."""
    changes = [b - a for a, b in pairwise(closes)]
    gains = [max(c, 0.0) for c in changes]
    losses = [max(-c, 0.0) for c in changes]
    out: list[float | None] = [None] * min(period, len(closes))
    if len(changes) < period:
        return out
    average_gain = sum(gains[:period]) / period
    average_loss = sum(losses[:period]) / period
    out.append(rsi(average_gain, average_loss))
    for gain, loss in zip(gains[period:], losses[period:], strict=True):
        average_gain = (average_gain * (period - 1) + gain) / period
        average_loss = (average_loss * (period - 1) + loss) / period
        out.append(rsi(average_gain, average_loss))
    return out


def rsi(average_gain: float, average_loss: float) -> float:
    if average_loss == 0:
        return 100.0 if average_gain > 0 else 50.0
    return 100 - 100 / (1 + average_gain / average_loss)


def feed(indicator: RSI, values: list[float]) -> list[float | None]:
    return [indicator.update(value) for value in values]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("period", [1, 2, 5, 14, 30])
def test_rsi_matches_wilders_definition_over_random_series(seed, period):
    closes = walk(random.Random(seed), 300)
    got, expected = feed(RSI(period), closes), batch_rsi(closes, period)
    assert [g is None for g in got] == [e is None for e in expected]
    for g, e in zip(got, expected, strict=True):
        if e is not None:
            assert g == pytest.approx(e, rel=1e-10, abs=1e-10)


def test_warmup_is_period_plus_one():
    indicator = RSI(3)
    assert indicator.warmup == 4
    assert feed(indicator, [10.0, 11.0, 10.0]) == [None, None, None]
    # changes +1, -1, +2: average gain 1, average loss 1/3, RS 3
    assert indicator.update(12.0) == pytest.approx(75.0)
    assert indicator.ready
    # change -3: gain (1*2 + 0)/3 = 2/3, loss (1/3*2 + 3)/3 = 11/9, RS 6/11
    assert indicator.update(9.0) == pytest.approx(100 - 100 / (1 + 6 / 11))


def test_a_flat_series_is_50_and_only_gains_100_and_only_losses_0():
    assert feed(RSI(5), [7.0] * 20)[5:] == [50.0] * 15
    assert feed(RSI(5), [float(i) for i in range(20)])[5:] == [100.0] * 15
    assert feed(RSI(5), [float(-i) for i in range(20)])[5:] == [0.0] * 15


def test_period_one_follows_the_sign_of_the_last_change():
    assert feed(RSI(1), [1.0, 2.0, 2.0, 1.0, 3.0]) == [None, 100.0, 50.0, 0.0, 100.0]


def test_default_period_is_14():
    assert RSI().period == 14


@pytest.mark.parametrize("bad", [0, -1])
def test_a_period_below_one_is_refused(bad):
    with pytest.raises(ValueError, match="period must be >= 1"):
        RSI(bad)
