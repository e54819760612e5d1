"""S-1 / EX-2: the candle builder never emits a forming candle, never double-counts a trade,
and repairs partial minutes from REST. Property-tested over random streams and clocks."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from trader.core.types import Candle
from trader.exchange.models import MarketTrade
from trader.marketdata.builder import CandleBuilder
from trader.marketdata.candles import CandleStore

T0 = 1_800_000_000  # a minute boundary


def trade(tid: str, t: float, price: str = "100", size: str = "1") -> MarketTrade:
    return MarketTrade("BTC-USD", tid, Decimal(price), Decimal(size), "BUY", t)


def test_s1_minute_closes_by_time_and_by_later_trade_plus_grace():
    b = CandleBuilder("BTC-USD", T0, grace_s=2.0, taint_start=False)
    b.add(trade("1", T0 + 1, "100"), now=T0 + 1)
    b.add(trade("2", T0 + 30, "105"), now=T0 + 30)
    b.add(trade("3", T0 + 59.9, "99", "2"), now=T0 + 59.95)
    assert b.close_due(T0 + 59.99) == []
    b.add(trade("4", T0 + 60.5, "101"), now=T0 + 60.6)
    assert b.close_due(T0 + 61.0) == []  # later trade seen, grace not yet over
    b.add(trade("5", T0 + 59.99, "98"), now=T0 + 61.5)  # late print inside the grace
    closed = b.close_due(T0 + 62.7)
    assert closed == [
        Candle(
            "BTC-USD",
            T0,
            Decimal("100"),
            Decimal("105"),
            Decimal("98"),
            Decimal("98"),
            Decimal("5"),
        )
    ]
    assert b.close_due(T0 + 121.0) == []
    assert b.close_due(T0 + 122.0)[0].start == T0 + 60


def test_s1_duplicates_and_late_trades_never_counted():
    b = CandleBuilder("BTC-USD", T0, grace_s=1.0, taint_start=False)
    for _ in range(3):
        b.add(trade("7", T0 + 5, size="0.5"), now=T0 + 5)
    [candle] = b.close_due(T0 + 61)
    assert candle.volume == Decimal("0.5") and b.duplicates == 2
    b.add(trade("8", T0 + 10), now=T0 + 62)
    assert b.late == 1 and b.close_due(T0 + 200) == []


def test_ex2_tainted_minutes_wait_for_rest_repair_in_order():
    b = CandleBuilder("BTC-USD", T0, grace_s=1.0)  # start minute is partial
    b.add(trade("1", T0 + 50), now=T0 + 50)
    b.add(trade("2", T0 + 70, "110"), now=T0 + 70)
    assert b.close_due(T0 + 130) == []  # T0 needs REST; T0+60 must wait behind it
    assert b.repair_range(T0 + 130) == (T0, T0 + 60)
    rest = Candle("BTC-USD", T0, Decimal(1), Decimal(2), Decimal(1), Decimal(2), Decimal(9))
    out = b.apply_repair(T0, T0 + 60, [rest], now=T0 + 130)
    assert [c.start for c in out] == [T0, T0 + 60] and out[0] == rest
    b.taint(T0 + 150, T0 + 200)
    assert b.repair_range(T0 + 300) == (T0 + 120, T0 + 240)


def test_s1_store_bounded_ordered_and_until_filter():
    store = CandleStore(history=3)
    seen: list[int] = []
    store.subscribe(lambda c: seen.append(c.start))
    one = Decimal(1)
    for i in range(5):
        assert store.add(Candle("X", T0 + 60 * i, one, one, one, one, one))
    assert not store.add(Candle("X", T0, one, one, one, one, one))
    assert [c.start for c in store.closed_candles("X")] == [T0 + 120, T0 + 180, T0 + 240]
    assert [c.start for c in store.closed_candles("X", until=T0 + 240)] == [T0 + 120, T0 + 180]
    assert seen == [T0 + 60 * i for i in range(5)]


ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("trade"),
            st.integers(0, 40),
            st.floats(0, 299.999),
            st.integers(1, 50),
            st.integers(1, 9),
        ),
        st.tuples(st.just("tick"), st.floats(0, 45)),
    ),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(ops, st.floats(0.0, 5.0), st.booleans())
def test_s1_property_never_a_forming_candle_never_double_counted(ops, grace, tainted):
    b = CandleBuilder("BTC-USD", T0, grace_s=grace, taint_start=tainted)
    now = float(T0)
    emitted: list[tuple[float, Candle]] = []
    counted: dict[str, tuple[int, Decimal, float]] = {}
    first: dict[int, tuple[float, int, int]] = {}
    for op in ops:
        if op[0] == "trade":
            _, tid, offset, price, size = op
            # a duplicate is the same trade delivered again: same time, price and size
            offset, price, size = first.setdefault(tid, (offset, price, size))
            t = T0 + offset
            minute = int(t) // 60 * 60
            if str(tid) not in counted and minute >= b.watermark:
                counted[str(tid)] = (minute, Decimal(size), t)
            b.add(trade(str(tid), t, str(price), str(size)), now)
        else:
            now += op[1]
            for candle in b.close_due(now):
                emitted.append((now, candle))
            span = b.repair_range(now)
            if span is not None:
                for candle in b.apply_repair(*span, [], now):
                    emitted.append((now, candle))
    starts = [c.start for _, c in emitted]
    assert starts == sorted(set(starts))
    for at, candle in emitted:
        assert candle.start + 60 <= at  # never a forming minute
        expected = sum(
            (size for minute, size, _ in counted.values() if minute == candle.start), Decimal(0)
        )
        assert candle.volume == expected  # each unique trade exactly once
        assert candle.low <= min(candle.open, candle.close)
        assert max(candle.open, candle.close) <= candle.high
