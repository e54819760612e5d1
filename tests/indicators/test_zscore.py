"""Rolling z-score (trader/indicators/zscore.py) against batch mean and population std."""

from __future__ import annotations

import random
import statistics

import pytest

from trader.indicators import ZScore

from .helpers import SEEDS, drifting_prices, walk


def batch_zscore(values: list[float], period: int) -> list[float | None]:
    """(x_t - mean) / pstdev over the last `period` values; None if too few or std is 0."""
    out: list[float | None] = []
    for end in range(1, len(values) + 1):
        window = values[max(0, end - period) : end]
        std = statistics.pstdev(window)
        enough = end >= period and std > 0
        out.append((window[-1] - statistics.fmean(window)) / std if enough else None)
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("period", [2, 3, 10, 50])
def test_zscore_matches_the_batch_definition(seed, period):
    values = walk(random.Random(seed), 250)
    zscore = ZScore(period)
    for value, expected in zip(values, batch_zscore(values, period), strict=True):
        got = zscore.update(value)
        assert got == (None if expected is None else pytest.approx(expected, rel=1e-8))


def test_period_two_is_plus_or_minus_one():
    zscore = ZScore(2)
    assert [zscore.update(v) for v in (1.0, 3.0, 2.0, 2.0)] == [None, 1.0, -1.0, None]


def test_warmup_is_period():
    zscore = ZScore(4)
    assert zscore.warmup == 4
    assert [zscore.update(v) for v in (1.0, 2.0, 3.0)] == [None] * 3
    assert not zscore.ready
    assert zscore.update(4.0) == pytest.approx(1.5 / 1.25**0.5)
    assert zscore.ready


def test_a_constant_window_has_no_score_even_when_ready():
    zscore = ZScore(5)
    assert [zscore.update(3.3) for _ in range(10)] == [None] * 10
    assert zscore.ready


def test_a_window_that_turns_constant_after_moves_has_no_score():
    zscore = ZScore(4)
    for value in [1e6, -250.5, 0.1, 7.0, 0.3, 0.3, 0.3]:
        zscore.update(value)
    assert zscore.value is not None
    assert zscore.update(0.3) is None  # exactly, not a huge number from rounding
    assert zscore.value is None


@pytest.mark.parametrize("bad", [1, 0, -1])
def test_a_period_below_two_is_refused(bad):
    with pytest.raises(ValueError, match="period must be >= 2"):
        ZScore(bad)


def test_zscore_does_not_drift_over_100_000_large_values():
    prices = drifting_prices()
    zscore = ZScore(50)
    for price in prices:
        zscore.update(price)
    assert zscore.value == pytest.approx(batch_zscore(prices[-50:], 50)[-1], rel=1e-8)
