"""The shape every indicator shares (trader/indicators/base.py), checked on each class."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest

import trader.indicators as indicators
from trader.core.types import Candle
from trader.indicators import (
    ATR,
    EMA,
    MACD,
    RSI,
    SMA,
    VWAP,
    BollingerBands,
    HighestHigh,
    LowestLow,
    ZScore,
)
from trader.indicators.base import check_period

from .helpers import candles

# each indicator with the float update a candle stands for
FEEDS: dict[str, tuple[Callable[[], Any], Callable[[Any, Candle], object]]]
FEEDS = {
    "SMA": (lambda: SMA(5), lambda i, c: i.update(float(c.close))),
    "EMA": (lambda: EMA(5), lambda i, c: i.update(float(c.close))),
    "RSI": (lambda: RSI(5), lambda i, c: i.update(float(c.close))),
    "ATR": (lambda: ATR(5), lambda i, c: i.update(float(c.high), float(c.low), float(c.close))),
    "Bollinger": (lambda: BollingerBands(5, 2.0), lambda i, c: i.update(float(c.close))),
    "HighestHigh": (lambda: HighestHigh(5), lambda i, c: i.update(float(c.high))),
    "LowestLow": (lambda: LowestLow(5), lambda i, c: i.update(float(c.low))),
    "VWAP": (
        lambda: VWAP(),
        lambda i, c: i.update(float(c.high), float(c.low), float(c.close), float(c.volume)),
    ),
    "VWAP rolling": (
        lambda: VWAP(5),
        lambda i, c: i.update(float(c.high), float(c.low), float(c.close), float(c.volume)),
    ),
    "ZScore": (lambda: ZScore(5), lambda i, c: i.update(float(c.close))),
    "MACD": (lambda: MACD(3, 6, 4), lambda i, c: i.update(float(c.close))),
}


@pytest.mark.parametrize("name", FEEDS)
def test_update_candle_reads_the_decimal_candle_like_the_float_update(name):
    make, feed = FEEDS[name]
    by_candle, by_floats = make(), make()
    for candle in candles(random.Random(5), 60):
        assert by_candle.update_candle(candle) == feed(by_floats, candle)
        assert by_candle.value == by_floats.value


@pytest.mark.parametrize("name", FEEDS)
def test_value_is_none_until_ready_and_ready_exactly_at_warmup(name):
    make, _ = FEEDS[name]
    indicator = make()
    # strictly positive volume and a changing close: every value is defined once ready
    series = [c for c in candles(random.Random(6), 200) if float(c.volume) > 0][:40]
    for count, candle in enumerate(series, start=1):
        returned = indicator.update_candle(candle)
        assert indicator.updates == count
        assert indicator.ready is (count >= indicator.warmup)
        assert returned == indicator.value
        assert (indicator.value is not None) is indicator.ready


@dataclass(frozen=True)
class PlainCandle:
    open: Fraction
    high: Fraction
    low: Fraction
    close: Fraction
    volume: Fraction


def plain(*values: str) -> PlainCandle:
    return PlainCandle(*(Fraction(v) for v in values))


def test_update_candle_accepts_any_object_with_float_convertible_fields():
    atr = ATR(1)
    assert atr.update_candle(plain("1", "3", "1.5", "2", "0")) == 1.5
    # the high's gap above the previous close (0.5) beats the candle's own range (0.25)
    assert atr.update_candle(plain("2", "2.5", "2.25", "2.4", "0")) == 0.5


@pytest.mark.parametrize("bad", [0, -1, -100])
def test_check_period_refuses_periods_below_the_minimum(bad):
    with pytest.raises(ValueError, match="period must be >= 1"):
        check_period("period", bad)


@pytest.mark.parametrize("bad", [2.0, "3", True, None])
def test_check_period_refuses_non_integers(bad):
    with pytest.raises(ValueError, match="period must be an int"):
        check_period("period", bad)


def test_check_period_minimum_and_name_are_in_the_message():
    assert check_period("slow", 2, minimum=2) == 2
    with pytest.raises(ValueError, match="slow must be >= 2, got 1"):
        check_period("slow", 1, minimum=2)


def test_the_package_exports_every_indicator():
    for name in indicators.__all__:
        assert getattr(indicators, name) is not None
    assert {"SMA", "EMA", "RSI", "ATR", "BollingerBands", "HighestHigh", "LowestLow"} <= set(
        indicators.__all__
    )
    assert {"VWAP", "ZScore", "MACD", "Bands", "MacdValue"} <= set(indicators.__all__)
