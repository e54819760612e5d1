"""SIM-1: the seeded synthetic market (products, history, walk, determinism)."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from trader.core.products import on_grid
from trader.core.types import Trade
from trader.matching.types import BookUpdate
from trader.sim.market import SyntheticSource, build_source, candle_store_for
from trader.sim.market.rules import rules_for_price

START = 1_800_000_000.0


def test_sim1_synthetic_product_names_and_rules():
    source = SyntheticSource(start=START, seed=1, products=13)
    ids = [p.product_id for p in source.products()]
    assert ids[:3] == ["BTC-USD", "ETH-USD", "SOL-USD"]
    assert ids[-3:] == ["SYN001-USD", "SYN002-USD", "SYN003-USD"]
    btc = source.products()[0]
    assert (btc.quote_increment, btc.base_increment) == (Decimal("0.01"), Decimal("1E-8"))


def test_sim1_rules_follow_price_level():
    assert rules_for_price("ADA-USD", Decimal("0.38")).quote_increment == Decimal("0.00001")
    assert rules_for_price("SHIB-USD", Decimal("0.00001")).base_increment == Decimal(1)
    assert rules_for_price("ETH-USD", Decimal("1900")).quote_increment == Decimal("0.01")


def test_sim1_synthetic_history_at_least_24h_ending_at_start():
    source = SyntheticSource(start=START + 17, seed=2, products=3)
    for rules in source.products():
        history = source.history(rules.product_id)
        assert len(history) >= 1440
        assert history[-1].start + 60 == int(START + 17) // 60 * 60
        assert [c.start for c in history] == list(
            range(history[0].start, history[-1].start + 60, 60)
        )
        for before, after in itertools.pairwise(history):
            assert after.open == before.close
        for c in history:
            assert c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high
            assert on_grid(c.close, rules.quote_increment) and c.volume > 0


def test_sim1_synthetic_live_walk_continues_history():
    source = SyntheticSource(start=START, seed=3, products=2)
    last_close = source.history("BTC-USD")[-1].close
    events = source.advance(START)
    book = next(e for e in events if isinstance(e, BookUpdate) and e.product_id == "BTC-USD")
    assert book.bids[0].price <= last_close <= book.asks[0].price


def test_sim1_synthetic_events_ordered_on_grid_and_books_sane():
    source = SyntheticSource(start=START, seed=4, products=5, trades_per_minute=30)
    events = source.advance(START + 600)
    times = [e.time for e in events]
    assert times == sorted(times) and times[-1] <= START + 600
    rules = {p.product_id: p for p in source.products()}
    trades = [e for e in events if isinstance(e, Trade)]
    assert 1200 < len(trades) < 1800  # 5 products × 30/min × 10 min = 1500 expected
    for t in trades:
        assert on_grid(t.price, rules[t.product_id].quote_increment)
        assert on_grid(t.size, rules[t.product_id].base_increment) and t.size > 0
    for b in (e for e in events if isinstance(e, BookUpdate)):
        assert b.bids[0].price < b.asks[0].price
        assert [lvl.price for lvl in b.bids] == sorted((lvl.price for lvl in b.bids), reverse=True)
    assert len({t.trade_id for t in trades if t.product_id == "BTC-USD"}) == sum(
        1 for t in trades if t.product_id == "BTC-USD"
    )


def test_sim1_synthetic_volatility_clusters():
    source = SyntheticSource(start=START, seed=5, products=1, trades_per_minute=6)
    closes: dict[int, float] = {}
    for event in source.advance(START + 24 * 3600):
        if isinstance(event, Trade):
            closes[int(event.time) // 60] = float(event.price)
    series = [closes[m] for m in sorted(closes)]
    mags = [abs(math.log(b / a)) for a, b in itertools.pairwise(series)]
    mean = sum(mags) / len(mags)
    lagged = sum((a - mean) * (b - mean) for a, b in itertools.pairwise(mags))
    variance = sum((a - mean) ** 2 for a in mags)
    assert lagged / variance > 0.05  # |1-minute returns| cluster (GARCH), i.i.d. would be ~0


def _all_events(seed, cuts):
    source = SyntheticSource(start=START, seed=seed, products=2)
    events = []
    for now in cuts:
        events.extend(source.advance(now))
    return events


def test_sim1_synthetic_same_seed_same_events():
    cuts = [START + 60 * i for i in range(1, 6)]
    assert _all_events(9, cuts) == _all_events(9, cuts)
    assert _all_events(9, cuts) != _all_events(10, cuts)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=300), min_size=1, max_size=8))
def test_sim1_synthetic_independent_of_chunking(offsets):
    cuts = [*sorted(START + o for o in offsets), START + 300]
    assert _all_events(21, cuts) == _all_events(21, [START + 300])


def test_sim1_synthetic_many_products_and_candle_store():
    source = build_source("synthetic", start=START, seed=1, products=120, data_dir=None)
    assert len(source.products()) == 120
    assert len({p.product_id for p in source.products()}) == 120
    store = candle_store_for(source)
    daily = store.candles("SYN100-USD", 3600, int(START) - 86400, int(START), now=START)
    assert len(daily) == 24
