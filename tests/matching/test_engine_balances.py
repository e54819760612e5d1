"""SIM-1: holds and balances move exactly through whole order life cycles; conservation."""

from __future__ import annotations

from decimal import Decimal, Inexact, Rounded, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

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
from trader.core.types import Side


def _flows(engine):
    """(quote paid on buys incl. fees, quote received on sells net of fees, net base bought)."""
    paid = received = base = D(0)
    for f in engine.fills():
        if f.side is Side.BUY:
            paid += f.price * f.size + f.commission
            base += f.size
        else:
            received += f.price * f.size - f.commission
            base -= f.size
    return paid, received, base


def _assert_conserved(engine, usd0, btc0):
    paid, received, base = _flows(engine)
    usd_avail, usd_hold = balance(engine, "USD")
    btc_avail, btc_hold = balance(engine, "BTC")
    assert usd_avail + usd_hold == usd0 - paid + received
    assert btc_avail + btc_hold == btc0 + base
    assert usd_avail >= 0 and btc_avail >= 0 and usd_hold >= 0 and btc_hold >= 0
    open_orders = [o for o in engine.orders() if o.status is OrderStatus.OPEN]
    assert usd_hold == sum((o.hold for o in open_orders if o.side is Side.BUY), D(0))
    assert btc_hold == sum((o.hold for o in open_orders if o.side is Side.SELL), D(0))
    fees = sum((f.commission for f in engine.fills()), D(0))
    assert fees == sum((o.total_fees for o in engine.orders()), D(0))


def test_sim1_buy_life_cycle_holds_exact():
    engine = make_engine(usd="1000")
    set_book(engine, [("100", "1")], [("101", "1")])
    order = engine.create_order(limit(Side.BUY, "2", "99.99", post_only=True), 1.0).order
    held = D("99.99") * 2 * D("1.006")
    assert balance(engine, "USD") == (D("1000") - held, held)
    engine.apply_market(trade("99.98", "0.5"), 2.0)
    cost = D("99.99") * D("0.5") * D("1.004")
    remaining_hold = D("99.99") * D("1.5") * D("1.006")
    assert balance(engine, "USD") == (D("1000") - cost - remaining_hold, remaining_hold)
    assert balance(engine, "BTC") == (D("0.5"), D("0"))
    engine.cancel_orders([order.order_id], 3.0)
    assert balance(engine, "USD") == (D("1000") - cost, D("0"))
    _assert_conserved(engine, D("1000"), D("0"))


def test_sim1_sell_life_cycle_holds_exact():
    engine = make_engine(usd="0", btc="1")
    set_book(engine, [("100", "1")], [("101", "1")])
    engine.create_order(limit(Side.SELL, "0.6", "102", post_only=True), 1.0)
    assert balance(engine, "BTC") == (D("0.4"), D("0.6"))
    engine.apply_market(trade("103", "1", maker=Side.SELL), 2.0)
    assert balance(engine, "BTC") == (D("0.4"), D("0"))
    assert balance(engine, "USD") == (D("102") * D("0.6") * D("0.996"), D("0"))
    _assert_conserved(engine, D("0"), D("1"))


def test_sim1_round_trip_conserves_quote_and_fees():
    engine = make_engine(usd="10000")
    standard_book(engine)
    engine.create_order(market(Side.BUY, base="1.5"), 1.0)
    sell = engine.create_order(limit(Side.SELL, "1.5", "104", post_only=True), 2.0).order
    engine.apply_market(trade("105", "1", maker=Side.SELL), 3.0)
    engine.apply_market(trade("104.5", "2", maker=Side.SELL), 4.0)
    assert sell.status is OrderStatus.FILLED
    buy_cost = D("152") * D("1.006")
    sell_net = D("156") * D("0.996")
    fees = sum((f.commission for f in engine.fills()), D(0))
    assert fees == D("152") * D("0.006") + D("156") * D("0.004")
    assert balance(engine, "USD") == (D("10000") - buy_cost + sell_net, D("0"))
    assert balance(engine, "BTC") == (D("0"), D("0"))
    assert balance(engine, "USD")[0] + fees == D("10000") - 152 + 156
    _assert_conserved(engine, D("10000"), D("0"))


def test_sim1_balances_list_every_currency():
    engine = make_engine()
    assert [b.currency for b in engine.balances()] == ["BTC", "USD"]


_prices = st.integers(min_value=9500, max_value=10500).map(lambda c: Decimal(c) / 100)
_sizes = st.integers(min_value=1, max_value=300).map(lambda n: Decimal(n) / 100)
_actions = st.lists(
    st.one_of(
        st.tuples(st.just("limit"), st.sampled_from(Side), _sizes, _prices, st.booleans()),
        st.tuples(st.just("market"), st.sampled_from(Side), _sizes),
        st.tuples(st.just("spend"), st.integers(min_value=1, max_value=40000)),
        st.tuples(st.just("gtd"), st.sampled_from(Side), _sizes, _prices, st.integers(1, 5)),
        st.tuples(st.just("trade"), _prices, _sizes),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=30)),
        st.tuples(st.just("book"), _prices),
    ),
    max_size=40,
)


def run_script(engine, actions):
    """Apply one generated script; times increase by one second per action."""
    for now, action in enumerate(actions, start=1):
        kind = action[0]
        if kind == "limit":
            _, side, size, price, post_only = action
            engine.create_order(
                limit(side, str(size), str(price), post_only=post_only, client_id=f"c{now}"),
                float(now),
            )
        elif kind == "market":
            engine.create_order(
                market(action[1], base=str(action[2]), client_id=f"c{now}"), float(now)
            )
        elif kind == "spend":
            spend = str(Decimal(action[1]) / 100)
            engine.create_order(market(Side.BUY, quote=spend, client_id=f"c{now}"), float(now))
        elif kind == "gtd":
            _, side, size, price, ttl = action
            order = limit(
                side,
                str(size),
                str(price),
                kind=OrderKind.LIMIT_GTD,
                end_time=float(now + ttl),
                client_id=f"c{now}",
            )
            engine.create_order(order, float(now))
            engine.expire_orders(float(now))
        elif kind == "trade":
            engine.apply_market(trade(str(action[1]), str(action[2]), t=float(now)), float(now))
        elif kind == "cancel":
            ids = [o.order_id for o in engine.orders()]
            if ids:
                engine.cancel_orders([ids[action[1] % len(ids)]], float(now))
        else:
            mid = action[1]
            set_book(
                engine,
                [(str(mid - 1), "2"), (str(mid - 2), "3")],
                [(str(mid + 1), "2"), (str(mid + 2), "3")],
                t=float(now),
            )


@settings(max_examples=200, deadline=None)
@given(_actions)
def test_sim1_property_balances_conserved_and_never_negative(actions):
    engine = make_engine(usd="2000", btc="5")
    standard_book(engine)
    run_script(engine, actions)
    _assert_conserved(engine, D("2000"), D("5"))
    for order in engine.orders():
        assert order.filled_size <= (order.spec.base_size or order.filled_size)
        if order.status is OrderStatus.FILLED and order.spec.base_size is not None:
            assert order.filled_size == order.spec.base_size


def test_sim1_money_arithmetic_never_rounds():
    """Fees, holds and balances stay exact: no Decimal operation is inexact on the way."""
    with localcontext() as ctx:
        ctx.traps[Inexact] = True
        ctx.traps[Rounded] = True
        engine = make_engine(usd="100000.01", btc="0.12345678")
        set_book(engine, [("65083.66", "0.5")], [("65083.67", "0.25"), ("65090.01", "3")])
        engine.create_order(market(Side.BUY, base="0.98765432"), 1.0)
        engine.create_order(limit(Side.SELL, "0.33333333", "65100.03", post_only=True), 2.0)
        engine.create_order(limit(Side.BUY, "0.07654321", "65000.01", post_only=True), 2.0)
        engine.apply_market(trade("65100.04", "0.1", t=3.0, maker=Side.SELL), 3.0)
        engine.apply_market(trade("64999.99", "0.05", t=3.0), 3.0)
        engine.cancel_orders([o.order_id for o in engine.orders()], 4.0)
        _assert_conserved(engine, D("100000.01"), D("0.12345678"))
