"""Drift-free rolling sums (trader/indicators/window.py) against exact batch statistics."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from trader.indicators.window import CompensatedSum, RollingStats, RollingSum

from .helpers import SEEDS, drifting_prices, walk


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", [1, 2, 5, 17])
def test_rolling_stats_match_the_window_mean_and_population_variance(seed, size):
    values = walk(random.Random(seed), 200)
    stats = RollingStats(size)
    for end, value in enumerate(values, start=1):
        stats.push(value)
        window = values[max(0, end - size) : end]
        assert stats.count == len(window)
        assert stats.full is (len(window) == size)
        assert stats.mean() == pytest.approx(statistics.fmean(window), rel=1e-12)
        assert stats.variance() == pytest.approx(statistics.pvariance(window), abs=1e-9)


def test_rolling_stats_of_equal_values_are_exact_after_any_history():
    stats = RollingStats(4)
    for value in [0.1, 1e6, -3.7, 0.3, 0.3, 0.3]:
        stats.push(value)
    assert not stats.constant
    stats.push(0.3)  # the window is now 0.3 x 4, reached through unequal values
    assert stats.constant
    assert stats.mean() == 0.3
    assert stats.variance() == 0.0
    assert stats.std() == 0.0
    stats.push(0.30000000000000004)
    assert not stats.constant
    assert stats.variance() > 0.0


def test_rolling_stats_stay_exact_over_a_long_run_of_large_values():
    prices = drifting_prices()
    stats = RollingStats(50)
    for price in prices:
        stats.push(price)
    window = prices[-50:]
    assert stats.mean() == pytest.approx(statistics.fmean(window), rel=1e-14)
    assert stats.std() == pytest.approx(statistics.pstdev(window), rel=1e-9)


@pytest.mark.parametrize("size", [1, 3, 10])
def test_rolling_sum_matches_the_sum_of_the_last_values(size):
    values = walk(random.Random(size), 300, start=0.0)
    rolling = RollingSum(size)
    for end, value in enumerate(values, start=1):
        rolling.push(value)
        window = values[max(0, end - size) : end]
        assert rolling.count == len(window)
        assert rolling.total == pytest.approx(math.fsum(window), abs=1e-9)


def test_rolling_sum_does_not_drift_over_a_long_run():
    rolling = RollingSum(7)
    for _ in range(100_000):
        rolling.push(0.1)
    assert rolling.total == math.fsum([0.1] * 7)


def test_compensated_sum_keeps_what_plain_addition_loses():
    values = [1.0, 1e100, 1.0, -1e100] + [0.1] * 10_000
    total = CompensatedSum()
    for value in values:
        total.push(value)
    exact = math.fsum(values)  # 1002.0
    assert total.total == pytest.approx(exact, rel=1e-14)
    assert sum(values) != pytest.approx(exact, rel=1e-3)  # plain addition lost the 1.0s
