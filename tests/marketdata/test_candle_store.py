"""S-1, PERF-5: the candle store's day of quote volume is exactly the sum of its hours."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from trader.core.types import Candle
from trader.marketdata.candles import DAY_S, HOUR_S, CandleStore

PRICES = st.decimals(min_value="0.00000001", max_value="99999.99999999", places=8)
VOLUMES = st.decimals(min_value="0", max_value="9999999.12345678", places=8)


def _naive_day(candles: list[Candle]) -> Decimal | None:
    """Every hour's close × volume summed again, oldest hour first (the definition)."""
    first, last = candles[0].start, candles[-1].start
    if last - first < DAY_S - HOUR_S:
        return None
    hours: dict[int, Decimal] = {}
    for c in candles:
        hour = c.start // HOUR_S * HOUR_S
        hours[hour] = hours.get(hour, Decimal(0)) + c.close * c.volume
    start = last // HOUR_S * HOUR_S - DAY_S + HOUR_S
    return sum((v for h, v in hours.items() if h >= start), Decimal(0))


@given(
    steps=st.lists(st.integers(min_value=1, max_value=190), min_size=1, max_size=120),
    values=st.lists(st.tuples(PRICES, VOLUMES), min_size=120, max_size=120),
)
@settings(max_examples=60, deadline=None)
def test_s1_quote_volume_24h_is_the_sum_of_its_hours_after_every_candle(steps, values):
    store = CandleStore()
    seen: list[Candle] = []
    start = 1_800_000_000
    for step, (price, volume) in zip(steps, values, strict=False):
        start += step * 60 * 5  # gaps of 5 minutes up to ~16 h
        candle = Candle("AAA-USD", start, price, price, price, price, volume)
        assert store.add(candle)
        seen.append(candle)
        expected = repr(_naive_day(seen))  # the same digits and exponent, not only value
        assert repr(store.quote_volume_24h("AAA-USD")) == expected
        assert repr(store.quote_volume_24h("AAA-USD")) == expected  # read twice


def _candle(start: int, close: str) -> Candle:
    price = Decimal(close)
    return Candle("BTC-USD", start, price, price, price, price, Decimal(1))


def test_perf5_equal_prices_share_one_object_unless_the_store_is_told_not_to():
    """The daemon's store keeps one Decimal per distinct price (PERF-5); a backtest's
    short history keeps each candle as it came — the same values either way."""
    fed = [_candle(60 * n, close) for n, close in enumerate(["1.5", "2", "1.5", "2.0"])]
    shared, kept = CandleStore(10), CandleStore(10, intern_prices=False)
    for candle in fed:
        shared.add(candle)
        kept.add(candle)
    assert list(shared.closed_candles("BTC-USD")) == list(kept.closed_candles("BTC-USD")) == fed
    first, _, third, _ = shared.closed_candles("BTC-USD")
    assert third.close is first.close
    assert all(a is b for a, b in zip(kept.closed_candles("BTC-USD"), fed, strict=True))
