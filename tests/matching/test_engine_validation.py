"""SIM-1: create-order validation rejects like Coinbase (never rounds, never raises)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.matching.test_engine_support import (
    BTC,
    D,
    balance,
    limit,
    make_engine,
    market,
    set_book,
    standard_book,
)
from trader.core.orders import OrderKind
from trader.core.types import Side
from trader.matching import MAX_OPEN_ORDERS_PER_PRODUCT
from trader.matching.types import NewOrder, OrderSpec


def _reject(engine, order, failure, preview=None):
    outcome = engine.create_order(order, 1.0)
    assert not outcome.success
    assert outcome.order is None
    assert outcome.failure_reason == failure
    assert outcome.error == failure
    if preview is not None:
        assert outcome.preview_failure_reason == preview
    return outcome


def test_sim1_unknown_product_rejected():
    engine = make_engine()
    _reject(engine, limit(Side.BUY, "0.01", "100", product_id="NOPE-USD"), "INVALID_PRODUCT_ID")
    assert engine.orders() == []


@pytest.mark.parametrize(
    ("order", "failure"),
    [
        (limit(Side.BUY, "0.000000015", "100"), "INVALID_SIZE_PRECISION"),
        (limit(Side.BUY, "0.01", "100.005"), "INVALID_PRICE_PRECISION"),
        (market(Side.BUY, quote="10.001"), "INVALID_SIZE_PRECISION"),
        (market(Side.SELL, base="0.000000001"), "INVALID_SIZE_PRECISION"),
        (limit(Side.BUY, "-1", "100"), "INVALID_SIZE_PRECISION"),
        (limit(Side.BUY, "0.01", "0"), "INVALID_LIMIT_PRICE"),
    ],
)
def test_sim1_off_grid_rejected_never_rounded(order, failure):
    engine = make_engine(btc="1")
    standard_book(engine)
    _reject(engine, order, failure)
    assert engine.orders() == []
    assert balance(engine, "USD") == (D("100000"), D("0"))


@pytest.mark.parametrize(
    ("order", "preview"),
    [
        (limit(Side.BUY, "0.00009", "100"), "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL"),
        (limit(Side.BUY, "101", "1"), "PREVIEW_INVALID_BASE_SIZE_TOO_LARGE"),
        (limit(Side.BUY, "0.0001", "100"), "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL"),
        (market(Side.BUY, quote="0.50"), "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL"),
        (market(Side.BUY, quote="1000000.01"), "PREVIEW_INVALID_QUOTE_SIZE_TOO_LARGE"),
    ],
)
def test_sim1_size_limits_rejected(order, preview):
    engine = make_engine()
    standard_book(engine)
    _reject(engine, order, "INVALID_REQUEST", preview)


@pytest.mark.parametrize(
    ("flags", "order", "failure"),
    [
        ({"trading_disabled": True}, limit(Side.BUY, "0.01", "100"), "UNTRADABLE_PRODUCT"),
        ({"status": "offline"}, limit(Side.BUY, "0.01", "100"), "UNTRADABLE_PRODUCT"),
        ({"cancel_only": True}, limit(Side.BUY, "0.01", "100"), "ORDER_ENTRY_DISABLED"),
        ({"limit_only": True}, market(Side.BUY, quote="10"), "UNSUPPORTED_ORDER_CONFIGURATION"),
        ({"post_only": True}, limit(Side.BUY, "0.01", "100"), "UNSUPPORTED_ORDER_CONFIGURATION"),
        ({"post_only": True}, market(Side.BUY, quote="10"), "UNSUPPORTED_ORDER_CONFIGURATION"),
    ],
)
def test_sim1_product_flags_refuse_orders(flags, order, failure):
    engine = make_engine()
    standard_book(engine)
    engine.set_product_flags("BTC-USD", **flags)
    _reject(engine, order, failure)


def test_sim1_flag_products_accept_what_they_allow():
    engine = make_engine()
    standard_book(engine)
    engine.set_product_flags("BTC-USD", post_only=True, limit_only=True)
    assert engine.create_order(limit(Side.BUY, "0.1", "99", post_only=True), 1.0).success


def test_sim1_unknown_flag_is_an_error():
    engine = make_engine()
    with pytest.raises(ValueError, match="unknown product flags"):
        engine.set_product_flags("BTC-USD", bogus=True)


@pytest.mark.parametrize(
    ("order", "usd", "btc"),
    [
        (limit(Side.BUY, "1", "100"), "100.59", "0"),  # needs 100 + 0.6 % fee
        (limit(Side.SELL, "1.5", "105"), "0", "1.49999999"),
        (market(Side.BUY, quote="1000"), "1005.99", "0"),
        (market(Side.BUY, base="2"), "204.00", "0"),  # 101 + 102 = 203 (+ fee 1.218)
        (market(Side.SELL, base="0.5"), "100000", "0.49999999"),
    ],
)
def test_sim1_insufficient_fund_rejected(order, usd, btc):
    engine = make_engine(usd=usd, btc=btc)
    standard_book(engine)
    _reject(engine, order, "INSUFFICIENT_FUND", "PREVIEW_INSUFFICIENT_FUND")
    assert engine.orders() == []


def test_sim1_funds_exactly_enough_accepted():
    engine = make_engine(usd="100.60")
    standard_book(engine)
    outcome = engine.create_order(limit(Side.BUY, "1", "100"), 1.0)
    assert outcome.success
    assert balance(engine, "USD") == (D("0"), D("100.60"))


def test_sim1_market_sell_by_quote_size_unsupported():
    engine = make_engine(btc="1")
    standard_book(engine)
    _reject(engine, market(Side.SELL, quote="50"), "UNSUPPORTED_ORDER_CONFIGURATION")


@pytest.mark.parametrize(
    "spec",
    [
        OrderSpec(OrderKind.MARKET_IOC),
        OrderSpec(OrderKind.MARKET_IOC, base_size=D("1"), quote_size=D("10")),
        OrderSpec(OrderKind.LIMIT_GTC, base_size=D("1")),
        OrderSpec(OrderKind.LIMIT_GTD, base_size=D("0.1"), limit_price=D("99")),
        OrderSpec(OrderKind.SOR_LIMIT_IOC, base_size=D("0.1"), limit_price=D("99"), post_only=True),
    ],
)
def test_sim1_incomplete_configuration_unsupported(spec):
    engine = make_engine(btc="1")
    standard_book(engine)
    order = NewOrder("cfg", "BTC-USD", Side.BUY, spec, {})
    _reject(engine, order, "UNSUPPORTED_ORDER_CONFIGURATION")


@pytest.mark.parametrize(
    ("side", "price"), [(Side.BUY, "101"), (Side.BUY, "150"), (Side.SELL, "100"), (Side.SELL, "50")]
)
def test_sim1_post_only_crossing_rejected(side, price):
    engine = make_engine(btc="1")
    standard_book(engine)
    _reject(
        engine,
        limit(side, "0.1", price, post_only=True),
        "INVALID_LIMIT_PRICE_POST_ONLY",
        "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY",
    )


def test_sim1_post_only_crossing_own_resting_order_rejected():
    engine = make_engine(btc="1")
    set_book(engine, [("100", "1")], [("110", "1")])
    assert engine.create_order(limit(Side.SELL, "0.1", "105", post_only=True), 1.0).success
    _reject(engine, limit(Side.BUY, "0.1", "105", post_only=True), "INVALID_LIMIT_PRICE_POST_ONLY")


def test_sim1_post_only_inside_spread_accepted():
    engine = make_engine(btc="1")
    set_book(engine, [("100", "1")], [("101", "1")])
    assert engine.create_order(limit(Side.BUY, "0.1", "100.99", post_only=True), 1.0).success
    assert engine.create_order(limit(Side.SELL, "0.1", "101", post_only=True), 1.0).success


def test_sim1_max_open_orders_per_product():
    engine = make_engine(usd="10000000")
    standard_book(engine)
    for _ in range(MAX_OPEN_ORDERS_PER_PRODUCT):
        assert engine.create_order(limit(Side.BUY, "0.02", "90"), 1.0).success
    rejected = _reject(engine, limit(Side.BUY, "0.02", "90"), "COMMANDER_REJECTED_NEW_ORDER")
    assert "500" in rejected.message
    assert engine.create_order(market(Side.BUY, quote="10"), 1.0).success  # IOC never rests
    first = engine.orders()[0].order_id
    assert engine.cancel_orders([first], 2.0)[0].success
    assert engine.create_order(limit(Side.BUY, "0.02", "90"), 2.0).success


def test_sim1_duplicate_client_order_id_returns_original():
    engine = make_engine()
    standard_book(engine)
    first = engine.create_order(limit(Side.BUY, "0.5", "99", client_id="intent-1"), 1.0)
    usd_after_first = balance(engine, "USD")
    again = engine.create_order(limit(Side.BUY, "0.5", "99", client_id="intent-1"), 2.0)
    different = engine.create_order(market(Side.BUY, quote="50", client_id="intent-1"), 3.0)
    assert first.success and again.success and different.success
    assert first.order is not None
    assert again.order is first.order and different.order is first.order
    assert len(engine.orders()) == 1
    assert balance(engine, "USD") == usd_after_first


def test_sim1_rejected_client_id_can_be_retried():
    engine = make_engine(usd="10")
    standard_book(engine)
    _reject(engine, limit(Side.BUY, "1", "99", client_id="x"), "INSUFFICIENT_FUND")
    assert engine.create_order(limit(Side.BUY, "0.05", "99", client_id="x"), 1.0).success


def test_sim1_market_order_without_liquidity_rejected():
    engine = make_engine()
    set_book(engine, [("100", "1")], [])
    _reject(engine, market(Side.BUY, quote="10"), "INVALID_NO_LIQUIDITY")


def test_sim1_gtd_end_time_in_past_rejected():
    engine = make_engine()
    standard_book(engine)
    order = limit(Side.BUY, "0.1", "99", kind=OrderKind.LIMIT_GTD, end_time=1.0)
    _reject(engine, order, "INVALID_REQUEST")


def test_sim1_rules_are_not_mutated_by_flags():
    engine = make_engine()
    engine.set_product_flags("BTC-USD", cancel_only=True)
    assert BTC.cancel_only is False
    assert engine.product("BTC-USD") == replace(BTC, cancel_only=True)
    assert engine.product("NOPE-USD") is None


def test_sim1_a_delisted_product_cancels_its_working_orders_and_refuses_new_ones():
    engine = make_engine(btc="1")
    standard_book(engine)
    bid = engine.create_order(limit(Side.BUY, "0.1", "90", client_id="bid"), 1.0).order
    ask = engine.create_order(limit(Side.SELL, "0.1", "120", client_id="ask"), 1.0).order
    assert bid is not None and ask is not None
    assert engine.set_listed("BTC-USD", False) == [bid.order_id, ask.order_id]
    assert [str(o.status) for o in engine.orders()] == ["CANCELLED", "CANCELLED"]
    assert balance(engine, "USD") == (D("100000"), D("0"))  # the holds released
    assert balance(engine, "BTC") == (D("1"), D("0"))
    assert engine.product("BTC-USD") is None
    assert "BTC-USD" not in [p.product_id for p in engine.products()]
    _reject(engine, limit(Side.BUY, "0.01", "100"), "INVALID_PRODUCT_ID")
    assert engine.set_listed("BTC-USD", False) == []  # delisted already: nothing more
    assert engine.set_listed("BTC-USD", True) == []
    assert engine.product("BTC-USD") == BTC
    assert engine.create_order(limit(Side.BUY, "0.1", "90", client_id="b2"), 2.0).success
    with pytest.raises(ValueError, match="unknown product"):
        engine.set_listed("NOPE-USD", False)
