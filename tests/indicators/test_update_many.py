"""`update_many` / `update_candles` (trader/indicators) fold a whole window in one loop and
must give exactly the floats of one `update` per value — strategies that recompute a window
every bar rely on it (a cut run and a full run decide alike only if both are bit-exact)."""

from __future__ import annotations

import random

import pytest

from trader.indicators import ATR, EMA, RSI, SMA, BollingerBands

from .helpers import SEEDS, candles, walk


def one_by_one(indicator: EMA | RSI | SMA | BollingerBands, values: list[float]) -> object:
    for value in values:
        indicator.update(value)
    return indicator.value


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("count", [0, 1, 5, 14, 15, 16, 200])
@pytest.mark.parametrize(
    "make",
    [
        lambda: EMA(12),
        lambda: RSI(14),
        lambda: SMA(5),
        lambda: BollingerBands(20, 2.0),
        lambda: EMA(1),
        lambda: RSI(1),
    ],
)
def test_update_many_is_bit_identical_to_single_updates(seed, count, make):
    values = walk(random.Random(seed), count, start=30_000.0, step=25.0)
    single, batch = make(), make()
    assert batch.update_many(values) == one_by_one(single, values)
    assert (batch.value, batch.updates, batch.ready) == (single.value, single.updates, single.ready)
    # and it goes on as the single one does (state carried, not only the value)
    more = walk(random.Random(seed + 100), 7, start=values[-1] if values else 100.0)
    assert batch.update_many(more) == one_by_one(single, more)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("count", [0, 1, 13, 14, 15, 120])
def test_atr_update_candles_is_bit_identical_to_single_updates(seed, count):
    bars = candles(random.Random(seed), count)
    single, batch = ATR(14), ATR(14)
    for bar in bars:
        single.update_candle(bar)
    assert batch.update_candles(bars) == single.value
    assert (batch.updates, batch.ready) == (single.updates, single.ready)
    more = candles(random.Random(seed + 100), 5, start=float(bars[-1].close) if bars else 100.0)
    for bar in more:
        single.update_candle(bar)
    assert batch.update_candles(more) == single.value


def test_a_constant_series_stays_exact_in_the_batch_loop():
    assert EMA(10).update_many([42.5] * 50) == 42.5
    assert RSI(14).update_many([7.0] * 30) == 50.0
