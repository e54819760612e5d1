"""SMA and EMA (trader/indicators/moving.py) against batch formulas from the definitions."""

from __future__ import annotations

import random
import statistics

import pytest

from trader.indicators import EMA, SMA

from .helpers import SEEDS, batch_ema, drifting_prices, walk


def batch_sma(values: list[float], period: int) -> list[float | None]:
    """Mean of the last `period` values; None before `period` values."""
    return [
        statistics.fmean(values[end - period : end]) if end >= period else None
        for end in range(1, len(values) + 1)
    ]


def feed(indicator: SMA | EMA, values: list[float]) -> list[float | None]:
    return [indicator.update(value) for value in values]


def assert_series_close(got: list[float | None], expected: list[float | None]) -> None:
    assert [g is None for g in got] == [e is None for e in expected]
    for g, e in zip(got, expected, strict=True):
        if e is not None:
            assert g == pytest.approx(e, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("period", [1, 2, 3, 10, 30])
def test_sma_is_the_mean_of_the_last_period_values(seed, period):
    values = walk(random.Random(seed), 250)
    assert_series_close(feed(SMA(period), values), batch_sma(values, period))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("period", [1, 2, 5, 12, 26])
def test_ema_matches_its_closed_form_seeded_with_the_sma(seed, period):
    values = walk(random.Random(seed), 150)
    assert_series_close(feed(EMA(period), values), batch_ema(values, period))


@pytest.mark.parametrize("cls", [SMA, EMA])
def test_warmup_boundary(cls):
    indicator = cls(4)
    assert indicator.warmup == 4
    assert feed(indicator, [1.0, 2.0, 3.0]) == [None, None, None]
    assert not indicator.ready
    assert indicator.update(6.0) == 3.0  # both: the mean of the first four
    assert indicator.ready


def test_ema_after_the_seed_moves_alpha_of_the_way_to_the_new_value():
    ema = EMA(3)  # alpha = 0.5
    feed(ema, [1.0, 2.0, 3.0])
    assert ema.alpha == 0.5
    assert ema.update(6.0) == 4.0
    assert ema.update(0.0) == 2.0


@pytest.mark.parametrize("cls", [SMA, EMA])
def test_period_one_is_the_latest_value(cls):
    values = walk(random.Random(9), 50)
    assert feed(cls(1), values) == values


@pytest.mark.parametrize("cls", [SMA, EMA])
def test_a_constant_series_averages_to_exactly_that_constant(cls):
    indicator = cls(7)
    assert feed(indicator, [0.1] * 500)[6:] == [0.1] * 494


@pytest.mark.parametrize("cls", [SMA, EMA])
@pytest.mark.parametrize("bad", [0, -5])
def test_a_period_below_one_is_refused(cls, bad):
    with pytest.raises(ValueError, match="period must be >= 1"):
        cls(bad)


def test_sma_does_not_drift_over_100_000_large_values():
    prices = drifting_prices()
    sma = SMA(50)
    feed(sma, prices)
    assert sma.value == pytest.approx(statistics.fmean(prices[-50:]), rel=1e-14)
