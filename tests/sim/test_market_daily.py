"""SIM-1: the venue's daily history — synthetic daily walks, real daily bars for the replays,
the candle store's ONE_DAY buckets and the candles endpoint reaching back a year."""

from __future__ import annotations

import itertools
import statistics
from decimal import Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, open_venue
from trader.core.types import Candle
from trader.recorded import read_trade_bars
from trader.recorded.coinbase_minute import read_daily_bars
from trader.sim.market import (
    DAILY_DAYS,
    CandleStore,
    SyntheticSource,
    build_source,
    candle_store_for,
)
from trader.sim.market.daily import aggregate_days, floor_day

D = Decimal
DAY = 86400
START = 1_800_000_000.0  # 2027-01-15 08:00 UTC
BTC_DAILY = "coinbase-minute-2018/daily/btcusd_trade.zip"
MINUTE_RUN_START = 1522800000  # 2018-04-04 00:00 UTC, first day of the replayed run


def _check_daily_shape(days: list[Candle], history: list[Candle]) -> None:
    """Midnight starts, consecutive days, ending at the midnight before the minute history."""
    assert all(c.start % DAY == 0 for c in days)
    assert all(b.start - a.start == DAY for a, b in itertools.pairwise(days))
    assert days[-1].start + DAY == floor_day(history[0].start)
    assert all(c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high for c in days)
    assert all(c.low > 0 and c.volume > 0 for c in days)


def _on_grid(days: list[Candle], tick: Decimal, lot: Decimal) -> bool:
    prices = [p for c in days for p in (c.open, c.high, c.low, c.close)]
    return all(p % tick == 0 for p in prices) and all(c.volume % lot == 0 for c in days)


# --- synthetic --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic() -> SyntheticSource:
    return SyntheticSource(start=START, seed=5, products=14)


def test_sim1_synthetic_daily_length_grid_and_continuity(synthetic):
    for rules in synthetic.products():
        history = synthetic.history(rules.product_id)
        days = synthetic.daily_history(rules.product_id)
        assert len(days) == DAILY_DAYS == 400
        _check_daily_shape(days, history)
        assert days[-1].close == history[0].open  # the walk ends at the first minute price
        assert _on_grid(days, rules.quote_increment, rules.base_increment)
        assert {c.product_id for c in days} == {rules.product_id}


def test_sim1_synthetic_daily_volume_on_minute_scale(synthetic):
    for rules in synthetic.products():
        history = synthetic.history(rules.product_id)
        minute_day = sum((c.volume * c.close for c in history), D(0)) * 1440 / len(history)
        days = synthetic.daily_history(rules.product_id)
        daily = statistics.median(c.volume * c.close for c in days)
        assert minute_day / 4 < daily < minute_day * 4, rules.product_id


def test_sim1_synthetic_daily_moves_like_a_market(synthetic):
    days = synthetic.daily_history("BTC-USD")
    closes = [c.close for c in days]
    assert len(set(closes)) > 390  # a walk, not a flat line
    moves = [abs(b / a - 1) for a, b in itertools.pairwise(closes)]
    assert D("0.005") < statistics.median(moves) < D("0.05")  # BTC-like daily moves
    assert D("0.2") < min(closes) / closes[-1] and max(closes) / closes[-1] < 5


def test_sim1_synthetic_daily_deterministic_for_seed(synthetic):
    again = SyntheticSource(start=START, seed=5, products=3)
    other = SyntheticSource(start=START, seed=6, products=3)
    first = synthetic.daily_history("ETH-USD")
    assert synthetic.daily_history("ETH-USD") == first
    again.advance(START + 120)  # live trading draws from another stream
    assert again.daily_history("ETH-USD") == first
    assert other.daily_history("ETH-USD") != first


def test_sim1_synthetic_daily_days_configurable():
    source = SyntheticSource(start=START, seed=5, products=2, daily_days={"ETH-USD": 31})
    assert len(source.daily_history("BTC-USD")) == DAILY_DAYS
    assert len(source.daily_history("ETH-USD")) == 31
    assert (
        SyntheticSource(start=START, seed=5, products=1, daily_days=0).daily_history("BTC-USD")
        == []
    )
    with pytest.raises(ValueError):
        SyntheticSource(start=START, seed=5, products=1, daily_days=-1)


# --- candle store -----------------------------------------------------------------------------


def test_sim1_store_one_day_joins_daily_history_and_minutes(synthetic):
    store = candle_store_for(synthetic)
    minutes_only = CandleStore({"SYN001-USD": synthetic.history("SYN001-USD")})
    now = START + 0.5
    today = floor_day(now)
    start, end = today - 348 * DAY, int(now)
    got = store.candles("SYN001-USD", DAY, start, end, now)
    assert [c.start for c in got] == [today - i * DAY for i in range(349)]  # newest first
    first_minute_day = floor_day(synthetic.history("SYN001-USD")[0].start)
    recent = [c for c in got if c.start >= first_minute_day]
    assert recent == minutes_only.candles("SYN001-USD", DAY, start, end, now)
    older = [c for c in got if c.start < first_minute_day]
    daily = synthetic.daily_history("SYN001-USD")
    assert list(reversed(older)) == daily[-len(older) :]
    assert older[0].close == recent[-1].open  # continuous across the join
    for granularity in (60, 3600, 21600):  # other granularities unchanged
        assert store.candles(
            "SYN001-USD", granularity, end - 300 * granularity, end, now
        ) == minutes_only.candles("SYN001-USD", granularity, end - 300 * granularity, end, now)


def test_sim1_store_loads_daily_lazily_and_minutes_win():
    minute = Candle("BTC-USD", 10 * DAY + 600, D(10), D(12), D(9), D(11), D(1))
    days = [Candle("BTC-USD", d * DAY, D(5), D(6), D(4), D(5), D(2)) for d in range(5, 11)]
    calls: list[str] = []

    def loader(product_id: str) -> list[Candle]:
        calls.append(product_id)
        return days

    store = CandleStore({"BTC-USD": [minute]}, daily=loader)
    store.candles("BTC-USD", 3600, 0, 11 * DAY, now=11 * DAY)
    assert calls == []
    got = store.candles("BTC-USD", DAY, 0, 11 * DAY, now=11 * DAY)
    store.candles("BTC-USD", DAY, 0, 11 * DAY, now=11 * DAY)
    assert calls == ["BTC-USD"]
    assert [c.start // DAY for c in got] == [10, 9, 8, 7, 6, 5]
    assert got[0].open == D(10)  # day 10 holds minutes: they win over its daily candle
    assert store.candles("NOPE-USD", DAY, 0, 11 * DAY, now=11 * DAY) == []
    with pytest.raises(ValueError):
        store.seed_daily("BTC-USD", [Candle("BTC-USD", DAY + 60, D(1), D(1), D(1), D(1), D(1))])


# --- replays on the real data -----------------------------------------------------------------


@pytest.fixture(scope="module")
def minute_source(shared_data):
    return build_source(
        "coinbase-minute", start=START, seed=1, products=4, data_dir=shared_data, speed=60.0
    )


def test_sim1_minute_replay_btc_daily_is_the_real_daily_file(shared_data, minute_source):
    real = [
        c for c in read_daily_bars(shared_data / BTC_DAILY, "BTC-USD") if c.start < MINUTE_RUN_START
    ]
    assert real[0].start == 1417392000  # 2014-12-01
    days = minute_source.daily_history("BTC-USD")
    history = minute_source.history("BTC-USD")
    assert len(days) == len(real) > 1100
    shift = days[-1].start - real[-1].start
    assert shift % DAY == 0 and days[-1].start + DAY == floor_day(history[0].start)
    assert [(c.start - shift, c.open, c.high, c.low, c.close, c.volume) for c in days] == [
        (c.start, c.open, c.high, c.low, c.close, c.volume) for c in real
    ]
    assert all(c.start % DAY == 0 for c in days)


def test_sim1_minute_replay_other_daily_histories_only_real(shared_data, minute_source):
    eth = minute_source.daily_history("ETH-USD")
    folder = shared_data / "coinbase-minute-2018/minute/ethusd"
    bars = [
        b
        for d in ("20170903", "20170904")
        for b in read_trade_bars(folder / f"{d}_trade.zip", "ETH-USD")
    ]
    expected = aggregate_days(bars)
    assert len(eth) == len(expected) == 2
    assert [(c.open, c.high, c.low, c.close, c.volume) for c in eth] == [
        (c.open, c.high, c.low, c.close, c.volume) for c in expected
    ]
    assert eth[0].open == bars[0].open and eth[-1].close == bars[-1].close
    assert eth[-1].start < floor_day(minute_source.history("ETH-USD")[0].start)
    assert minute_source.daily_history("LTC-USD") == []  # nothing recorded before the run
    assert minute_source.daily_history("BTC-EUR") == []


def test_sim1_binance_replay_has_no_invented_daily_history(shared_data):
    source = build_source(
        "binance-5m", start=START, seed=1, products=2, data_dir=shared_data, speed=60.0
    )
    products = source.products()
    assert len(products) == 2  # not vacuous: two products were looked at
    for rules in products:  # the set starts one day before the replay start
        assert source.history(rules.product_id), rules.product_id  # minute history exists
        assert source.daily_history(rules.product_id) == []


def test_sim1_ws_capture_daily_continues_its_synthetic_prehistory(shared_data):
    source = build_source("ws-capture", start=START, seed=3, products=2, data_dir=shared_data)
    again = build_source("ws-capture", start=START, seed=3, products=2, data_dir=shared_data)
    for rules in source.products():
        history = source.history(rules.product_id)
        days = source.daily_history(rules.product_id)
        assert len(days) == DAILY_DAYS
        _check_daily_shape(days, history)
        assert days[-1].close == history[0].open
        assert _on_grid(days, rules.quote_increment, rules.base_increment)
        assert again.daily_history(rules.product_id) == days


# --- REST over loopback -----------------------------------------------------------------------


async def test_sim1_rest_one_day_candles_reach_back_a_year():
    async with open_venue(products=12) as venue, aiohttp.ClientSession() as session:
        rest = Rest(venue, session)
        now = int(venue.market_now())
        start = floor_day(now) - 348 * DAY
        params = {"start": str(start), "end": str(now), "granularity": "ONE_DAY"}
        for path, auth in (
            ("/products/SYN001-USD/candles", True),
            ("/market/products/SYN001-USD/candles", False),
        ):
            status, body, _ = await rest.get(path, params=params, auth=auth)
            assert status == 200, body
            candles = body["candles"]
            starts = [int(c["start"]) for c in candles]
            assert 0 < len(candles) <= 349
            assert starts == [floor_day(now) - i * DAY for i in range(len(candles))]
            assert now - starts[-1] >= 300 * DAY
            assert all(isinstance(v, str) for c in candles for v in c.values())
            assert all(D(c["low"]) <= D(c["open"]) <= D(c["high"]) for c in candles)
        status, body, _ = await rest.get(
            "/products/SYN001-USD/candles", params={**params, "start": str(now - 351 * DAY)}
        )
        assert status == 400 and body["error"] == "INVALID_ARGUMENT"
