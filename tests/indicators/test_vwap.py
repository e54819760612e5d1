"""VWAP (trader/indicators/vwap.py) against batch sums of typical price x volume."""

from __future__ import annotations

import math
import random

import pytest

from trader.indicators import VWAP

from .helpers import SEEDS, candles

Bar = tuple[float, float, float, float]


def bars(seed: int, count: int) -> list[Bar]:
    """(high, low, close, volume) of random candles; about a third have zero volume."""
    series = candles(random.Random(seed), count)
    return [(float(c.high), float(c.low), float(c.close), float(c.volume)) for c in series]


def batch_vwap(series: list[Bar], period: int | None) -> list[float | None]:
    """sum((h+l+c)/3 * v) / sum(v) over every bar so far (period None) or the last `period`;
    None before `period` bars or while the volume sum is 0."""
    out: list[float | None] = []
    for end in range(1, len(series) + 1):
        window = series[:end] if period is None else series[max(0, end - period) : end]
        volume = math.fsum(v for *_, v in window)
        turnover = math.fsum((h + low + c) / 3 * v for h, low, c, v in window)
        enough = period is None or end >= period
        out.append(turnover / volume if enough and volume > 0 else None)
    return out


def feed(vwap: VWAP, series: list[Bar]) -> list[float | None]:
    return [vwap.update(*bar) for bar in series]


def assert_series_close(got: list[float | None], expected: list[float | None]) -> None:
    for g, e in zip(got, expected, strict=True):
        assert g == (None if e is None else pytest.approx(e, rel=1e-10))


@pytest.mark.parametrize("seed", SEEDS)
def test_cumulative_vwap_matches_the_batch_sums(seed):
    series = bars(seed, 300)
    assert_series_close(feed(VWAP(), series), batch_vwap(series, None))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("period", [1, 2, 5, 30])
def test_rolling_vwap_matches_the_batch_sums_over_the_window(seed, period):
    series = bars(seed, 300)
    assert_series_close(feed(VWAP(period), series), batch_vwap(series, period))


def test_typical_price_weights_by_volume():
    vwap = VWAP()
    assert vwap.update(12.0, 9.0, 9.0, 1.0) == 10.0  # typical price 10
    assert vwap.update(22.0, 19.0, 19.0, 3.0) == 17.5  # (10*1 + 20*3) / 4


def test_no_value_until_some_volume_even_when_ready():
    vwap = VWAP()
    assert vwap.warmup == 1
    assert vwap.update(3.0, 3.0, 3.0, 0.0) is None
    assert vwap.ready
    assert vwap.update(6.0, 6.0, 6.0, 2.0) == 6.0
    assert vwap.update(9.0, 9.0, 9.0, 0.0) == 6.0  # zero volume leaves it unchanged


def test_rolling_vwap_warmup_and_zero_volume_window():
    vwap = VWAP(2)
    assert vwap.warmup == 2
    assert vwap.update(3.0, 3.0, 3.0, 5.0) is None
    assert vwap.update(6.0, 6.0, 6.0, 5.0) == 4.5
    assert vwap.update(1.0, 1.0, 1.0, 0.0) == 6.0
    assert vwap.update(1.0, 1.0, 1.0, 0.0) is None  # the window holds no volume


def test_reset_starts_a_new_session():
    vwap = VWAP()
    vwap.update(12.0, 9.0, 9.0, 100.0)
    vwap.reset()
    assert (vwap.value, vwap.updates, vwap.ready) == (None, 0, False)
    assert vwap.update(22.0, 19.0, 19.0, 3.0) == 20.0


def test_a_constant_price_gives_that_price_over_a_long_run():
    vwap, rolling = VWAP(), VWAP(10)
    for volume in [0.1, 3.0, 7.7] * 30_000:
        vwap.update(30_000.01, 30_000.01, 30_000.01, volume)
        rolling.update(30_000.01, 30_000.01, 30_000.01, volume)
    assert vwap.value == pytest.approx(30_000.01, rel=1e-15)
    assert rolling.value == pytest.approx(30_000.01, rel=1e-15)


@pytest.mark.parametrize("bad", [0, -1])
def test_a_rolling_period_below_one_is_refused(bad):
    with pytest.raises(ValueError, match="period must be >= 1"):
        VWAP(bad)
