"""SIM-1: replays of the recorded data sets on the venue clock (and through the engine)."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

import pytest

from trader.core.orders import OrderKind
from trader.core.types import Side, Trade
from trader.matching import MatchingEngine
from trader.matching.types import BookUpdate, NewOrder, OrderSpec, VenueSetup
from trader.recorded import (
    binance_files,
    read_klines,
    read_quote_bars,
    read_trade_bars,
    read_ws_capture,
)
from trader.sim.market import BarReplay, build_source, candle_store_for
from trader.sim.market.bars import split_bar, waypoints

D = Decimal
START = 1_800_000_000.0
CAPTURE = "coinbase-ws-capture-2026/advanced-trade-btc-eth.jsonl.gz"


@pytest.fixture(scope="module")
def minute_source(shared_data):
    return build_source(
        "coinbase-minute", start=START, seed=1, products=4, data_dir=shared_data, speed=60.0
    )


def _trades(events):
    return [e for e in events if isinstance(e, Trade)]


def test_sim1_minute_replay_products_and_history(minute_source):
    ids = [p.product_id for p in minute_source.products()]
    assert ids == ["BTC-USD", "ETH-USD", "LTC-USD", "BTC-EUR"]
    for product_id in ids:
        history = minute_source.history(product_id)
        assert history[-1].start == int(START) - 60
        assert history[-1].start - history[0].start >= 86400 - 60
        assert len(history) >= 0.95 * 1440
    assert len(minute_source.history("BTC-USD")) >= 1440


def test_sim1_minute_replay_follows_the_bars(shared_data, minute_source):
    events = minute_source.advance(START + 0.999)  # speed 60: one data minute per second
    trades = [t for t in _trades(events) if t.product_id == "BTC-USD"]
    bars = read_trade_bars(
        shared_data / "coinbase-minute-2018/minute/btcusd/20180405_trade.zip", "BTC-USD"
    )
    first = next(b for b in bars if b.start == 1522971000)  # 2018-04-05 23:30 UTC
    assert [t.price for t in trades] == waypoints(first)
    assert sum((t.size for t in trades), D(0)) == first.volume
    assert all(START <= e.time < START + 1 for e in events)
    books = [e for e in events if isinstance(e, BookUpdate) and e.product_id == "BTC-USD"]
    assert books and all(b.bids[0].price < b.asks[0].price for b in books)


def test_sim1_minute_replay_uses_quote_bars_for_the_book(shared_data):
    source = build_source(
        "coinbase-minute", start=START, seed=1, products=1, data_dir=shared_data, speed=60.0
    )
    assert isinstance(source, BarReplay)
    quotes = read_quote_bars(
        shared_data / "coinbase-minute-2018/minute/btcusd/20180405_quote.zip", "BTC-USD"
    )
    recorded = next(q for q in quotes if q.start == source.replay_from)
    book = next(e for e in source.advance(START) if isinstance(e, BookUpdate))
    assert (book.bids[0].price, book.asks[0].price) == (recorded.bid, recorded.ask)
    assert book.asks[0].size == recorded.ask_size


def test_sim1_replay_speed_inf_one_slot_per_advance(shared_data):
    source = build_source(
        "coinbase-minute",
        start=START,
        seed=1,
        products=2,
        data_dir=shared_data,
        speed=math.inf,
    )
    first = source.advance(5.0)
    second = source.advance(6.0)
    assert first and second
    assert {e.time for e in first} == {5.0} and {e.time for e in second} == {6.0}
    assert {t.product_id for t in _trades(first)} == {"BTC-USD", "ETH-USD"}


def test_sim1_replay_independent_of_chunking(shared_data):
    def run(cuts):
        source = build_source(
            "coinbase-minute",
            start=START,
            seed=1,
            products=2,
            data_dir=shared_data,
            speed=60.0,
        )
        return [e for now in cuts for e in source.advance(now)]

    whole = run([START + 30])
    assert whole == run([START + 0.5, START + 7.25, START + 7.26, START + 30])
    times = [e.time for e in whole]
    assert times == sorted(times)


def test_sim1_binance_replay(shared_data):
    source = build_source(
        "binance-5m", start=START, seed=1, products=2, data_dir=shared_data, speed=300.0
    )
    assert isinstance(source, BarReplay)
    assert [p.product_id for p in source.products()] == ["BTC-USD", "ETH-USD"]
    assert source.replay_from == 1606867200  # 2020-12-02 00:00 UTC: first day is history
    history = source.history("BTC-USD")
    assert len(history) >= 1440 and history[-1].start == int(START) - 60
    bars = read_klines(binance_files(shared_data / "binance-5m-24pairs-2021")["BTC-USD"])
    replayed = next(b for b in bars if b.start == source.replay_from)
    assert history[-1].close == next(b for b in bars if b.start == source.replay_from - 300).close
    trades = _trades(source.advance(START + 0.999))  # 5 data minutes per venue second
    btc = [t for t in trades if t.product_id == "BTC-USD"]
    assert [t.price for t in btc] == waypoints(replayed)


def test_sim1_split_bar_keeps_ohlcv():
    from trader.core.types import Candle

    bar = Candle("BTC-USD", 300, D("10"), D("12"), D("9"), D("11"), D("5.00000003"))
    minutes = split_bar(bar, 5, D("0.00000001"))
    assert [m.start for m in minutes] == [300, 360, 420, 480, 540]
    assert minutes[0].open == bar.open and minutes[-1].close == bar.close
    assert max(m.high for m in minutes) == bar.high and min(m.low for m in minutes) == bar.low
    assert sum((m.volume for m in minutes), D(0)) == bar.volume
    for before, after in itertools.pairwise(minutes):
        assert after.open == before.close


@pytest.fixture(scope="module")
def capture(shared_data):
    return read_ws_capture(shared_data / CAPTURE)


def test_sim1_ws_capture_replay_yields_the_recorded_trades(shared_data, capture):
    source = build_source(
        "ws-capture", start=START, seed=1, products=2, data_dir=shared_data, speed=1.0
    )
    rules = {p.product_id: p for p in source.products()}
    assert set(rules) == {"BTC-USD", "ETH-USD"}
    assert rules["BTC-USD"].base_max_size == D("3400")  # the real /market/products rules
    events = source.advance(START + 10) + source.advance(START + 60)
    trades = _trades(events)
    assert [(t.trade_id, t.price, t.size, t.side) for t in trades] == [
        (t.trade_id, t.price, t.size, t.side) for t in capture.trades
    ]
    books = [e for e in events if isinstance(e, BookUpdate)]
    assert len(books) == len(capture.books) and books[0].snapshot
    assert all(START <= e.time <= START + 30 for e in events)
    assert source.advance(START + 120) == []


def test_sim1_ws_capture_history_at_least_24h_real_tail(shared_data, capture):
    source = build_source(
        "ws-capture", start=START, seed=1, products=2, data_dir=shared_data, speed=1.0
    )
    history = source.history("BTC-USD")
    assert len(history) >= 1440
    assert history[-1].start == int(START) - 60
    real = [c for c in capture.candles if c.product_id == "BTC-USD"]
    forming = int(capture.first_time) // 300 * 300
    last_closed = max((c for c in real if c.start < forming), key=lambda c: c.start)
    assert history[-1].close == last_closed.close
    starts = [c.start for c in history]
    assert starts == sorted(set(starts)) and all(s % 60 == 0 for s in starts)
    assert history[0].start <= history[-1].start - 86400 + 60


def test_sim1_replay_drives_engine_fills(shared_data):
    """Recorded ETH prints below a resting own bid fill it as maker, through the engine."""
    source = build_source(
        "ws-capture", start=START, seed=1, products=2, data_dir=shared_data, speed=1.0
    )
    rules = {p.product_id: p for p in source.products()}
    engine = MatchingEngine(list(rules.values()), VenueSetup(seed=1))
    for event in source.advance(START + 1):  # both level2 snapshots have arrived
        engine.apply_market(event, event.time)
    quote = engine.quote("ETH-USD")
    assert quote is not None and quote.bid < quote.ask
    spec = OrderSpec(
        OrderKind.LIMIT_GTC, base_size=D("0.01"), limit_price=quote.bid, post_only=True
    )
    outcome = engine.create_order(NewOrder("o1", "ETH-USD", Side.BUY, spec, {}), START + 1)
    assert outcome.success, outcome
    store = candle_store_for(source)
    later = source.advance(START + 60)
    for event in later:
        engine.apply_market(event, event.time)
        if isinstance(event, Trade):
            store.record(event)
    eth = [t for t in _trades(later) if t.product_id == "ETH-USD"]
    through = sum((t.size for t in eth if t.price < quote.bid), D(0))
    assert through > 0
    assert outcome.order is not None
    assert outcome.order.filled_size == min(through, D("0.01"))
    assert {f.liquidity for f in engine.fills()} == {"MAKER"}
    assert {f.price for f in engine.fills()} == {quote.bid}
    candles = store.candles("ETH-USD", 60, int(START) - 600, int(START) + 60, START + 60)
    assert candles[0].start == int(START)
