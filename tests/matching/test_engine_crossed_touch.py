"""SIM-1: the market's levels moving to or through own resting orders fill them (at their
limit, as maker, the market size they meet consumed) before the touch is read — so the
venue never publishes a crossed or locked touch while own orders rest. The backtest's
engine leaves that to its bar fill model's printed trades (`fill_on_book=False`), which
bound each bar's fills by `backtest.participation` of its volume."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from trader.core.orders import OrderStatus
from trader.core.products import floor_to_increment
from trader.core.types import Quote, Side
from trader.matching import MatchingEngine
from trader.matching.types import NewOrder, VenueSetup
from trader.sim.market.synthetic import SyntheticSource

from .test_engine_support import FEES, D, limit, make_engine, set_book, trade


def _sound(quote: Quote | None) -> bool:
    return quote is None or quote.bid < quote.ask


def test_sim1_an_ask_moving_through_an_own_bid_fills_it_at_its_limit_as_maker():
    engine = make_engine()
    set_book(engine, [("99", "2")], [("101", "1")])
    order = engine.create_order(limit(Side.BUY, "1", "100", post_only=True), 1.0).order
    assert order is not None and order.status is OrderStatus.OPEN
    set_book(engine, [("98", "2")], [("99.50", "0.3"), ("100", "0.2"), ("100.50", "4")], t=2.0)
    assert order.filled_size == D("0.5") and order.status is OrderStatus.OPEN
    fills = engine.fills()
    assert {(f.price, f.liquidity) for f in fills} == {(D("100"), "MAKER")}
    assert sum(f.commission for f in fills) == D("100") * D("0.5") * FEES.maker
    quote = engine.quote("BTC-USD")
    assert quote is not None and (quote.bid, quote.bid_size, quote.ask) == (
        D("100"),
        D("0.5"),
        D("100.50"),
    )


def test_sim1_a_bid_update_reaching_an_own_ask_fills_it_whole_and_is_consumed():
    engine = make_engine(btc="2")
    set_book(engine, [("99", "2")], [("102", "1")])
    order = engine.create_order(limit(Side.SELL, "1", "101", post_only=True), 1.0).order
    assert order is not None
    set_book(engine, [("101", "3")], [], t=2.0, snapshot=False)  # locks the own ask
    assert order.status is OrderStatus.FILLED and engine.fills()[-1].price == D("101")
    quote = engine.quote("BTC-USD")
    assert quote is not None and (quote.bid, quote.bid_size, quote.ask) == (
        D("101"),
        D("2"),
        D("102"),
    )


def test_bt1_the_backtest_engine_fills_resting_orders_by_trades_alone():
    """BT-1: with `fill_on_book` off, a book update reaching an own bid fills nothing;
    a trade printing through it does (at its limit, up to the print's size)."""
    engine = make_engine(fill_on_book=False)
    set_book(engine, [("99", "2")], [("101", "1")])
    order = engine.create_order(limit(Side.BUY, "1", "100", post_only=True), 1.0).order
    assert order is not None
    set_book(engine, [("98", "2")], [("99.50", "0.3"), ("100", "0.2")], t=2.0)
    assert order.filled_size == 0 and engine.fills() == []
    engine.apply_market(trade("99.90", "0.4", t=3.0), 3.0)
    assert order.filled_size == D("0.4")
    assert {(f.price, f.liquidity) for f in engine.fills()} == {(D("100"), "MAKER")}


def _own_order(engine: MatchingEngine, rng: random.Random, product_id: str, now: float) -> None:
    """A limit order a few ticks either side of the touch — resting, or crossing the
    market and resting its remainder — never meeting an own order of the other side."""
    quote, rules = engine.quote(product_id), engine.product(product_id)
    if quote is None or rules is None:
        return
    side = rng.choice((Side.BUY, Side.SELL))
    tick = rules.quote_increment
    offset = rng.randint(-2, 6) * tick
    price = quote.bid - offset if side is Side.BUY else quote.ask + offset
    own_bids, own_asks = engine.resting_prices(product_id)
    if (side is Side.BUY and own_asks and price >= own_asks[0]) or (
        side is Side.SELL and own_bids and price <= own_bids[-1]
    ):
        return
    size = floor_to_increment(Decimal(rng.randint(5, 300)) / price, rules.base_increment)
    spec = limit(side, str(size), str(price), post_only=rng.random() < 0.5).spec
    engine.create_order(NewOrder("", product_id, side, spec, {"limit_limit_gtc": {}}), now)


@pytest.mark.parametrize("seed", range(8))
def test_sim1_the_touch_is_never_crossed_while_own_orders_rest(seed):
    """Property over seeds: the synthetic walk moves the market's levels; own orders rest
    at and near the touch; after every market event the touch stays bid < ask."""
    start = 1_800_000_000.0
    source = SyntheticSource(start=start, seed=seed, products=2, trades_per_minute=600)
    big = Decimal("1e9")
    currencies = {c for r in source.products() for c in (r.base_currency, r.quote_currency)}
    engine = MatchingEngine(
        source.products(), VenueSetup(balances=dict.fromkeys(currencies, big), fees=FEES)
    )
    rng = random.Random(seed)
    resting_seen = 0
    for step in range(400):
        now = start + step * 0.5
        for event in source.advance(now):
            engine.apply_market(event, now)
            assert _sound(engine.quote(event.product_id)), (seed, step, event)
        for rules in source.products():
            if rng.random() < 0.3:
                _own_order(engine, rng, rules.product_id, now)
            resting_seen += engine.working_on(rules.product_id)
    assert resting_seen > 200  # own orders rested through most of the walk
    assert any(f.liquidity == "MAKER" for f in engine.fills())
