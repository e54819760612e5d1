"""SIM-1: the venue's candle store (history + trades, aggregated on demand, newest first)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader.core.types import Candle, Side, Trade
from trader.sim.market import GRANULARITIES, CandleStore

D = Decimal
T0 = 1_800_000_000 // 86400 * 86400  # a UTC midnight


def _minute(start, o, h, lo, c, v="1"):
    return Candle("BTC-USD", start, D(o), D(h), D(lo), D(c), D(v))


def _history(minutes=1440):
    return [
        _minute(T0 + 60 * i, 100 + i % 7, 101 + i % 7, 99 + i % 7, 100 + (i + 1) % 7)
        for i in range(minutes)
    ]


def _trade(price, size, t):
    return Trade("BTC-USD", str(t), D(price), D(size), Side.BUY, t)


def test_sim1_one_minute_candles_newest_first():
    store = CandleStore({"BTC-USD": _history(10)})
    rows = store.candles("BTC-USD", 60, T0, T0 + 600, now=T0 + 600)
    assert [r.start for r in rows] == [T0 + 60 * i for i in range(9, -1, -1)]


def test_sim1_five_minute_aggregation():
    store = CandleStore({"BTC-USD": _history(10)})
    rows = store.candles("BTC-USD", 300, T0, T0 + 600, now=T0 + 600)
    assert [r.start for r in rows] == [T0 + 300, T0]
    first = rows[-1]
    assert first.open == D(100) and first.close == D(105)
    assert first.high == D(105) and first.low == D(99) and first.volume == D(5)


@pytest.mark.parametrize("granularity", sorted(GRANULARITIES))
def test_sim1_every_granularity_aligned(granularity):
    store = CandleStore({"BTC-USD": _history(1440)})
    rows = store.candles("BTC-USD", granularity, T0, T0 + 86400, now=T0 + 86400)
    assert all(r.start % granularity == 0 for r in rows)
    assert sum((r.volume for r in rows), D(0)) == D(1440)
    assert len(rows) == 86400 // granularity


def test_sim1_unsupported_granularity():
    with pytest.raises(ValueError, match="granularity"):
        CandleStore().candles("BTC-USD", 120, T0, T0 + 600, now=T0)


def test_sim1_trades_build_the_forming_bucket():
    store = CandleStore({"BTC-USD": _history(2)})
    store.record(_trade("110", "0.5", T0 + 125.0))
    store.record(_trade("112", "0.25", T0 + 130.0))
    store.record(_trade("108", "0.25", T0 + 170.0))
    rows = store.candles("BTC-USD", 60, T0, T0 + 3600, now=T0 + 170.0)
    assert rows[0] == Candle("BTC-USD", T0 + 120, D(110), D(112), D(108), D(108), D(1))
    five = store.candles("BTC-USD", 300, T0, T0 + 3600, now=T0 + 170.0)
    assert five[0].close == D(108) and five[0].high == D(112)


def test_sim1_candles_not_after_now():
    store = CandleStore({"BTC-USD": _history(10)})
    rows = store.candles("BTC-USD", 60, T0, T0 + 600, now=T0 + 200)
    assert rows[0].start == T0 + 180


def test_sim1_stats_24h():
    store = CandleStore({"BTC-USD": _history(1440)})
    volume, low, high = store.stats_24h("BTC-USD", T0 + 86400 - 1)
    assert (volume, low, high) == (D(1440), D(99), D(107))
    assert store.stats_24h("ETH-USD", T0) == (D(0), D(0), D(0))
    assert store.last_price("BTC-USD") == D(100 + 1440 % 7)


def test_sim1_history_must_be_minute_aligned():
    with pytest.raises(ValueError, match="minute-aligned"):
        CandleStore({"BTC-USD": [_minute(T0 + 30, 1, 1, 1, 1)]})
