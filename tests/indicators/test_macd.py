"""MACD (trader/indicators/macd.py) against EMAs computed in batch from their closed form."""

from __future__ import annotations

import random

import pytest

from trader.indicators import MACD, MacdValue

from .helpers import SEEDS, batch_ema, walk


def batch_macd(values: list[float], fast: int, slow: int, signal: int) -> list[MacdValue | None]:
    """macd = EMA_fast - EMA_slow (from index slow-1), signal = EMA(signal) of that line."""
    fast_ema, slow_ema = batch_ema(values, fast), batch_ema(values, slow)
    line: list[float] = []
    for fast_value, slow_value in zip(fast_ema[slow - 1 :], slow_ema[slow - 1 :], strict=True):
        assert fast_value is not None and slow_value is not None
        line.append(fast_value - slow_value)
    signal_ema = batch_ema(line, signal)
    out: list[MacdValue | None] = [None] * (slow - 1)
    for macd, smoothed in zip(line, signal_ema, strict=True):
        out.append(None if smoothed is None else MacdValue(macd, smoothed, macd - smoothed))
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (1, 2, 1), (3, 7, 4), (5, 6, 2)])
def test_macd_matches_batch_emas(seed, fast, slow, signal):
    values = walk(random.Random(seed), 150)
    macd = MACD(fast, slow, signal)
    for value, expected in zip(values, batch_macd(values, fast, slow, signal), strict=True):
        got = macd.update(value)
        if expected is None:
            assert got is None
        else:
            assert got is not None
            assert tuple(got) == pytest.approx(tuple(expected), rel=1e-9, abs=1e-9)


def test_warmup_is_slow_plus_signal_minus_one_and_the_line_comes_first():
    macd = MACD(2, 4, 3)
    assert macd.warmup == 6
    values = [1.0, 2.0, 4.0, 3.0, 5.0, 6.0, 5.5]
    got = [macd.update(v) for v in values[:3]]
    assert got == [None] * 3 and macd.line is None
    assert macd.update(values[3]) is None and macd.line is not None
    assert macd.update(values[4]) is None and not macd.ready
    assert macd.update(values[5]) is not None and macd.ready


def test_defaults_are_12_26_9():
    macd = MACD()
    assert (macd.fast, macd.slow, macd.signal, macd.warmup) == (12, 26, 9, 34)


def test_a_constant_series_has_all_zero_readings():
    macd = MACD(3, 5, 2)
    readings = [macd.update(42.42) for _ in range(30)]
    assert readings[5:] == [MacdValue(0.0, 0.0, 0.0)] * 25


@pytest.mark.parametrize(("fast", "slow"), [(26, 12), (9, 9)])
def test_fast_must_be_shorter_than_slow(fast, slow):
    with pytest.raises(ValueError, match="fast must be < slow"):
        MACD(fast, slow)


@pytest.mark.parametrize(
    ("fast", "slow", "signal", "name"),
    [(0, 26, 9, "fast"), (12, 26, 0, "signal"), (-1, 0, 9, "fast")],
)
def test_a_period_below_one_is_refused(fast, slow, signal, name):
    with pytest.raises(ValueError, match=f"{name} must be >= 1"):
        MACD(fast, slow, signal)
