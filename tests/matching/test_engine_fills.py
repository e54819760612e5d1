"""SIM-1: taker walks, IOC remainders, maker fills from trade prints, expiry, cancels."""

from __future__ import annotations

from tests.matching.test_engine_support import (
    D,
    balance,
    limit,
    make_engine,
    market,
    set_book,
    standard_book,
    trade,
)
from trader.core.orders import OrderKind, OrderStatus
from trader.core.types import BookLevel, Side


def _ok(engine, order, now=1.0):
    outcome = engine.create_order(order, now)
    assert outcome.success, outcome
    return outcome.order


def test_sim1_market_buy_walks_several_levels():
    engine = make_engine()
    standard_book(engine)
    order = _ok(engine, market(Side.BUY, base="2.5"))
    fills = engine.fills()
    assert [(f.price, f.size, f.liquidity) for f in fills] == [
        (D("101"), D("1"), "TAKER"),
        (D("102"), D("1.5"), "TAKER"),
    ]
    assert order.status is OrderStatus.FILLED
    assert order.filled_value == D("254")
    assert order.total_fees == D("254") * D("0.006")
    assert order.average_filled_price == D("101.6")
    _, asks = engine.book("BTC-USD", 5)
    assert asks == [BookLevel(D("102"), D("0.5")), BookLevel(D("103"), D("3"))]


def test_sim1_market_sell_walks_bids():
    engine = make_engine(btc="5")
    standard_book(engine)
    order = _ok(engine, market(Side.SELL, base="3.5"))
    assert [(f.price, f.size) for f in engine.fills()] == [
        (D("100"), D("1")),
        (D("99"), D("2")),
        (D("98"), D("0.5")),
    ]
    assert order.status is OrderStatus.FILLED
    assert balance(engine, "USD")[0] == D("100000") + D("347") - D("347") * D("0.006")


def test_sim1_market_buy_by_quote_size_fills_to_the_increment():
    engine = make_engine()
    standard_book(engine)
    order = _ok(engine, market(Side.BUY, quote="150"))
    assert order.status is OrderStatus.FILLED
    assert order.filled_size == D("1") + D("0.48039215")  # 49/102 floored to 1e-8
    left = D("150") - order.filled_value
    assert D(0) <= left < D("102") * D("0.00000001")


def test_sim1_market_remainder_cancelled_with_partial_fill():
    engine = make_engine()
    standard_book(engine)
    order = _ok(engine, market(Side.BUY, base="10"))
    assert order.status is OrderStatus.CANCELLED
    assert order.filled_size == D("6")
    assert engine.book("BTC-USD", 5)[1] == []


def test_sim1_ioc_limit_takes_to_price_remainder_cancelled():
    engine = make_engine()
    standard_book(engine)
    order = _ok(engine, limit(Side.BUY, "4", "102", kind=OrderKind.SOR_LIMIT_IOC))
    assert order.status is OrderStatus.CANCELLED
    assert order.filled_size == D("3")
    order = _ok(engine, limit(Side.BUY, "2", "102", kind=OrderKind.SOR_LIMIT_IOC))
    assert order.status is OrderStatus.CANCELLED
    assert order.filled_size == 0
    assert balance(engine, "USD")[1] == D("0")


def test_sim1_crossing_limit_takes_then_rests():
    engine = make_engine()
    standard_book(engine)
    order = _ok(engine, limit(Side.BUY, "1.5", "101.50"))
    assert order.status is OrderStatus.OPEN
    assert order.filled_size == D("1")
    assert engine.fills()[0].liquidity == "TAKER"
    assert order.hold == D("101.50") * D("0.5") * D("1.006")
    quote = engine.quote("BTC-USD")
    assert quote is not None
    assert (quote.bid, quote.bid_size, quote.ask) == (D("101.50"), D("0.5"), D("102"))


def test_sim1_resting_buy_fills_only_on_prints_through_price():
    engine = make_engine()
    set_book(engine, [("100", "2")], [("101", "1")])
    order = _ok(engine, limit(Side.BUY, "1", "99.50", post_only=True))
    engine.apply_market(trade("100", "5"), 2.0)
    engine.apply_market(trade("99.51", "5"), 2.0)
    assert order.filled_size == 0
    engine.apply_market(trade("99.49", "0.4"), 3.0)
    assert order.filled_size == D("0.4")
    fill = engine.fills()[-1]
    assert (fill.price, fill.liquidity, fill.commission) == (
        D("99.50"),
        "MAKER",
        D("99.50") * D("0.4") * D("0.004"),
    )
    engine.apply_market(trade("99", "3"), 4.0)
    assert order.status is OrderStatus.FILLED
    assert order.filled_size == D("1")


def test_sim1_at_price_print_consumes_queue_ahead_first():
    engine = make_engine()
    set_book(engine, [("100", "2")], [("101", "1")])
    order = _ok(engine, limit(Side.BUY, "1", "100", post_only=True))
    engine.apply_market(trade("100", "1.5"), 2.0)
    assert order.filled_size == 0  # 2 BTC of the market were queued ahead
    engine.apply_market(trade("100", "0.8"), 3.0)
    assert order.filled_size == D("0.3")
    engine.apply_market(trade("100", "5"), 4.0)
    assert order.status is OrderStatus.FILLED


def test_sim1_queue_ahead_capped_by_shrinking_level():
    engine = make_engine()
    set_book(engine, [("100", "2")], [("101", "1")])
    order = _ok(engine, limit(Side.BUY, "1", "100", post_only=True))
    set_book(engine, [("100", "0.5")], [], t=1.5, snapshot=False)
    engine.apply_market(trade("100", "0.7"), 2.0)
    assert order.filled_size == D("0.2")


def test_sim1_resting_sell_fills_on_prints_above():
    engine = make_engine(btc="2")
    standard_book(engine)
    order = _ok(engine, limit(Side.SELL, "2", "105", post_only=True))
    engine.apply_market(trade("105", "1"), 2.0)  # 0 market size queued at 105
    engine.apply_market(trade("106", "0.5", maker=Side.SELL), 2.0)
    assert order.filled_size == D("1.5")
    assert [f.liquidity for f in engine.fills()] == ["MAKER", "MAKER"]


def test_sim1_price_time_priority_among_own_orders():
    engine = make_engine()
    set_book(engine, [("90", "1")], [("101", "1")])
    first = _ok(engine, limit(Side.BUY, "1", "95", post_only=True))
    better = _ok(engine, limit(Side.BUY, "1", "96", post_only=True))
    second = _ok(engine, limit(Side.BUY, "1", "95", post_only=True))
    engine.apply_market(trade("94", "1.5"), 2.0)
    assert (better.filled_size, first.filled_size, second.filled_size) == (D("1"), D("0.5"), 0)


def test_sim1_gtd_order_expires_and_releases_hold():
    engine = make_engine()
    standard_book(engine)
    order = _ok(engine, limit(Side.BUY, "1", "99", kind=OrderKind.LIMIT_GTD, end_time=60.0))
    assert balance(engine, "USD")[1] > 0
    engine.expire_orders(59.0)
    assert order.status is OrderStatus.OPEN
    engine.expire_orders(60.0)
    assert order.status is OrderStatus.EXPIRED
    assert balance(engine, "USD") == (D("100000"), D("0"))
    engine.apply_market(trade("90", "5", t=61.0), 61.0)
    assert order.filled_size == 0


def test_sim1_gtd_expiry_applies_before_a_later_print():
    engine = make_engine()
    standard_book(engine)
    order = _ok(engine, limit(Side.BUY, "1", "99", kind=OrderKind.LIMIT_GTD, end_time=60.0))
    engine.apply_market(trade("90", "5", t=70.0), 70.0)
    assert (order.status, order.filled_size) == (OrderStatus.EXPIRED, 0)


def test_sim1_cancel_outcomes():
    engine = make_engine()
    standard_book(engine)
    filled = _ok(engine, market(Side.BUY, base="0.5"))
    resting = _ok(engine, limit(Side.BUY, "0.5", "95"))
    results = engine.cancel_orders([filled.order_id, resting.order_id, "nope"], 2.0)
    assert [(r.success, r.failure_reason) for r in results] == [
        (False, "ORDER_IS_FULLY_FILLED"),
        (True, "UNKNOWN_CANCEL_FAILURE_REASON"),
        (False, "UNKNOWN_CANCEL_ORDER"),
    ]
    again = engine.cancel_orders([resting.order_id], 3.0)[0]
    assert (again.success, again.failure_reason) == (False, "DUPLICATE_CANCEL_REQUEST")
    assert resting.status is OrderStatus.CANCELLED
    assert engine.book("BTC-USD", 10)[0][-1] == BookLevel(D("98"), D("3"))


def test_sim1_cancel_allowed_on_cancel_only_product():
    engine = make_engine()
    standard_book(engine)
    order = _ok(engine, limit(Side.BUY, "0.5", "95"))
    engine.set_product_flags("BTC-USD", cancel_only=True)
    assert engine.cancel_orders([order.order_id], 2.0)[0].success


def test_sim1_listener_sees_every_change():
    engine = make_engine()
    standard_book(engine)
    seen = []
    unsubscribe = engine.subscribe(lambda o: seen.append((o.status, o.filled_size)))
    order = _ok(engine, limit(Side.BUY, "1", "99", post_only=True))
    engine.apply_market(trade("98", "0.25"), 2.0)
    engine.cancel_orders([order.order_id], 3.0)
    assert seen == [
        (OrderStatus.OPEN, 0),
        (OrderStatus.OPEN, D("0.25")),
        (OrderStatus.CANCELLED, D("0.25")),
    ]
    unsubscribe()
    _ok(engine, market(Side.BUY, base="0.1"))
    assert len(seen) == 3


def test_sim1_book_aggregates_market_and_own_orders():
    engine = make_engine()
    standard_book(engine)
    _ok(engine, limit(Side.BUY, "0.5", "100", post_only=True))
    _ok(engine, limit(Side.BUY, "0.25", "99.50", post_only=True))
    bids, asks = engine.book("BTC-USD", 3)
    assert bids == [
        BookLevel(D("100"), D("1.5")),
        BookLevel(D("99.50"), D("0.25")),
        BookLevel(D("99"), D("2")),
    ]
    assert asks[0] == BookLevel(D("101"), D("1"))
    assert engine.book("NOPE-USD", 3) == ([], [])


def test_sim1_fill_ids_unique():
    engine = make_engine(btc="3")
    standard_book(engine)
    _ok(engine, market(Side.BUY, base="3"))
    _ok(engine, limit(Side.SELL, "2", "110", post_only=True))
    engine.apply_market(trade("111", "1"), 2.0)
    engine.apply_market(trade("112", "1"), 3.0)
    fills = engine.fills()
    assert len(fills) == 4
    ids = [f.trade_id for f in fills] + [f.entry_id for f in fills]
    assert len(set(ids)) == len(ids)
    assert engine.traded_volume() == sum((f.price * f.size for f in fills), D(0))


def test_sim1_preview_changes_nothing():
    engine = make_engine()
    standard_book(engine)
    before = (engine.balances(), engine.book("BTC-USD", 10))
    result = engine.preview_order(market(Side.BUY, base="1.5"), 1.0)
    assert result.errs == ()
    assert result.base_size == D("1.5")
    assert result.quote_size == D("152")
    assert result.commission_total == D("152") * D("0.006")
    assert result.order_total == D("152") * D("1.006")
    assert (result.best_bid, result.best_ask) == (D("100"), D("101"))
    assert result.slippage > 0
    assert (engine.balances(), engine.book("BTC-USD", 10)) == before
    assert engine.orders() == []


def test_sim1_preview_reports_rejection_reason():
    engine = make_engine(usd="1")
    standard_book(engine)
    result = engine.preview_order(limit(Side.BUY, "1", "100"), 1.0)
    assert result.errs == ("PREVIEW_INSUFFICIENT_FUND",)
