"""SIM-1 engine semantics of FOK, stop-limit, bracket and edits (pure, no server): what the
HTTP tests cannot observe directly — holds while waiting, expiry of a waiting stop, the
bracket's stop-loss limit and queue position across edits."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from tests.matching.test_engine_support import (
    D,
    balance,
    limit,
    make_engine,
    set_book,
    standard_book,
    trade,
)
from trader.core.orders import OrderKind, OrderStatus
from trader.core.types import Side
from trader.matching import MatchingEngine
from trader.matching.types import NewOrder, SimOrder

TAKER = D("1.006")


def _ok(engine: MatchingEngine, order: NewOrder, now: float = 1.0) -> SimOrder:
    outcome = engine.create_order(order, now)
    assert outcome.success and outcome.order is not None, outcome
    return outcome.order


def _stop(
    side: Side,
    size: str,
    price: str,
    stop: str,
    up: bool,
    kind: OrderKind = OrderKind.STOP_LIMIT_GTC,
    end_time: float | None = None,
) -> NewOrder:
    order = limit(side, size, price, kind=kind, end_time=end_time)
    direction = "STOP_DIRECTION_STOP_UP" if up else "STOP_DIRECTION_STOP_DOWN"
    return replace(order, spec=replace(order.spec, stop_price=D(stop), stop_direction=direction))


def _bracket(side: Side, size: str, price: str, trigger: str) -> NewOrder:
    order = limit(side, size, price, kind=OrderKind.BRACKET_GTC)
    return replace(order, spec=replace(order.spec, stop_trigger_price=D(trigger)))


def test_sim1_fok_kill_leaves_book_and_balances_untouched():
    engine = make_engine()
    standard_book(engine)
    killed = _ok(engine, limit(Side.BUY, "3.5", "102", kind=OrderKind.LIMIT_FOK))
    assert killed.status is OrderStatus.CANCELLED and killed.filled_size == 0
    assert engine.fills() == [] and balance(engine, "USD") == (D("100000"), D("0"))
    filled = _ok(engine, limit(Side.BUY, "3", "102", kind=OrderKind.LIMIT_FOK))
    assert filled.status is OrderStatus.FILLED and filled.number_of_fills == 2


def test_sim1_stop_limit_holds_while_waiting_then_rests_its_remainder():
    engine = make_engine()
    standard_book(engine)  # asks 101 (1), 102 (2), 103 (3)
    engine.apply_market(trade("100.50", "0.1"), 1.0)
    order = _ok(engine, _stop(Side.BUY, "4", "102", "101.50", up=True))
    assert order.trigger_status == "STOP_PENDING" and order.status is OrderStatus.OPEN
    assert balance(engine, "USD")[1] == D("102") * 4 * TAKER
    assert engine.book("BTC-USD", 1)[0][0].price == D("100")  # not on the book yet
    engine.apply_market(trade("101.49", "0.1"), 2.0)
    assert order.trigger_status == "STOP_PENDING" and order.filled_size == 0
    engine.apply_market(trade("101.50", "0.1"), 3.0)
    assert order.trigger_status == "STOP_TRIGGERED" and order.status is OrderStatus.OPEN
    assert order.filled_size == D("3")  # 1 at 101 and 2 at 102, then 1 rests at 102
    assert engine.book("BTC-USD", 1)[0][0].price == D("102")
    assert balance(engine, "USD")[1] == D("102") * 1 * TAKER


def test_sim1_stop_rejected_when_already_reached():
    engine = make_engine()
    standard_book(engine)
    engine.apply_market(trade("100.50", "0.1"), 1.0)
    outcome = engine.create_order(_stop(Side.SELL, "0.1", "99", "101", up=False), 2.0)
    assert not outcome.success
    assert outcome.preview_failure_reason == "PREVIEW_STOP_PRICE_ABOVE_LAST_TRADE_PRICE"


def test_sim1_waiting_gtd_stop_expires_and_releases_its_hold():
    engine = make_engine(btc="1")
    standard_book(engine)
    engine.apply_market(trade("100.50", "0.1"), 1.0)
    order = _ok(
        engine,
        _stop(Side.SELL, "0.5", "98", "99", up=False, kind=OrderKind.STOP_LIMIT_GTD, end_time=5.0),
    )
    assert balance(engine, "BTC") == (D("0.5"), D("0.5"))
    engine.expire_orders(6.0)
    assert order.status is OrderStatus.EXPIRED and balance(engine, "BTC") == (D("1"), D("0"))
    engine.apply_market(trade("98", "1"), 7.0)
    assert order.trigger_status == "STOP_PENDING" and order.filled_size == 0


def test_sim1_bracket_stop_loss_works_5_percent_beyond_its_trigger():
    engine = make_engine(btc="1")
    set_book(engine, [("100", "1"), ("90", "5")], [("101", "1")])
    engine.apply_market(trade("100.50", "0.1"), 1.0)
    order = _ok(engine, _bracket(Side.SELL, "1", "120", "99.99"))
    assert engine.book("BTC-USD", 5)[1][-1].price == D("120")
    engine.apply_market(trade("99.99", "0.1"), 2.0)
    # 99.99 × 0.95 = 94.9905, rounded towards the trigger
    assert order.trigger_status == "STOP_TRIGGERED" and order.limit_price == D("95.00")
    assert order.filled_size == D("1") and order.average_filled_price == D("100")
    assert D("120") not in {lvl.price for lvl in engine.book("BTC-USD", 5)[1]}


def test_sim1_edit_keeps_queue_only_for_a_smaller_size_at_the_same_price():
    for size, kept in (("0.4", True), ("0.6", False)):
        engine = make_engine()
        set_book(engine, [("100", "1")], [("101", "1")])
        order = _ok(engine, limit(Side.BUY, "0.5", "100", post_only=True))
        engine.apply_market(trade("100", "0.8"), 2.0)  # 0.2 of the market still ahead
        assert engine.edit_order(order.order_id, D("100"), D(size), 3.0).success
        engine.apply_market(trade("100", "0.5"), 4.0)
        assert order.filled_size == (D("0.3") if kept else Decimal(0)), size
        assert [e.size for e in order.edit_history] == [D(size)]
