"""Bollinger bands (trader/indicators/bollinger.py) against batch mean and population std."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from trader.indicators import Bands, BollingerBands

from .helpers import SEEDS, drifting_prices, walk


def batch_bands(values: list[float], period: int, k: float) -> list[Bands | None]:
    """middle = mean of the last `period` values, std = their population std (divide by n)."""
    out: list[Bands | None] = []
    for end in range(1, len(values) + 1):
        if end < period:
            out.append(None)
            continue
        window = values[end - period : end]
        middle, std = statistics.fmean(window), statistics.pstdev(window)
        out.append(Bands(middle, middle + k * std, middle - k * std, std))
    return out


def assert_bands_close(got: Bands | None, expected: Bands | None, rel: float = 1e-10) -> None:
    if expected is None:
        assert got is None
        return
    assert got is not None
    assert tuple(got) == pytest.approx(tuple(expected), rel=rel, abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("period", "k"), [(1, 2.0), (2, 1.0), (5, 2.0), (20, 2.0), (20, 2.5)])
def test_bands_match_the_batch_definition(seed, period, k):
    values = walk(random.Random(seed), 200)
    bands = BollingerBands(period, k)
    for value, expected in zip(values, batch_bands(values, period, k), strict=True):
        assert_bands_close(bands.update(value), expected)


def test_the_standard_deviation_is_the_population_one():
    bands = BollingerBands(4, 1.0)
    for value in [1.0, 2.0, 3.0, 4.0]:
        bands.update(value)
    # deviations from 2.5: squares 2.25 + 0.25 + 0.25 + 2.25 = 5, / 4 (not / 3)
    assert bands.value == pytest.approx(
        Bands(2.5, 2.5 + math.sqrt(1.25), 2.5 - math.sqrt(1.25), math.sqrt(1.25))
    )


def test_warmup_boundary_and_defaults():
    bands = BollingerBands()
    assert (bands.period, bands.k, bands.warmup) == (20, 2.0, 20)
    assert [bands.update(float(i)) for i in range(19)] == [None] * 19
    assert not bands.ready
    assert bands.update(19.0) is not None
    assert bands.ready


def test_a_constant_window_collapses_the_bands_onto_the_value():
    bands = BollingerBands(5, 2.0)
    for value in [3.0, 9.0, 0.7, 0.7, 0.7, 0.7, 0.7]:
        bands.update(value)
    assert bands.value == Bands(0.7, 0.7, 0.7, 0.0)


def test_k_zero_puts_both_bands_on_the_middle():
    bands = BollingerBands(3, 0.0)
    for value in [1.0, 5.0, 6.0]:
        bands.update(value)
    assert bands.value is not None
    assert bands.value.upper == bands.value.lower == bands.value.middle == 4.0


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_a_negative_or_non_finite_k_is_refused(bad):
    with pytest.raises(ValueError, match="k must be a finite number >= 0"):
        BollingerBands(20, bad)


@pytest.mark.parametrize("bad", [0, -1])
def test_a_period_below_one_is_refused(bad):
    with pytest.raises(ValueError, match="period must be >= 1"):
        BollingerBands(bad)


def test_bands_do_not_drift_over_100_000_large_values():
    prices = drifting_prices()
    bands = BollingerBands(50, 2.0)
    for price in prices:
        bands.update(price)
    assert_bands_close(bands.value, batch_bands(prices[-50:], 50, 2.0)[-1], rel=1e-9)
