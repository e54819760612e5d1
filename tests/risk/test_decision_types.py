"""Decision types: portfolio valuation, worst-case order notional, closed-candle access."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader.config.universe import UniverseConfig
from trader.core.market import MarketSnapshot
from trader.core.portfolio import OpenOrder
from trader.core.types import Side
from trader.universe import build_universe, refresh_due

from .factories import NOW, market_for, portfolio, position


def test_r1_equity_marks_positions_and_falls_back_to_cost():
    pf = portfolio("1000", (position("BTC-USD", "2", "100"), position("ETH-USD", "1", "50")))
    assert pf.equity({"BTC-USD": D("110"), "ETH-USD": D("40")}) == D("1260")
    assert pf.equity({"BTC-USD": D("110")}) == D("1270")  # ETH at cost


@pytest.mark.parametrize(
    ("order", "price", "expected"),
    [
        (OpenOrder("a", "X-USD", Side.BUY, D("2"), limit_price=D("10")), None, D("20")),
        (OpenOrder("b", "X-USD", Side.BUY, D("0"), quote_size=D("55")), None, D("55")),
        (OpenOrder("c", "X-USD", Side.BUY, D("3")), D("7"), D("21")),
    ],
)
def test_r1_open_order_worst_case_notional(order, price, expected):
    assert order.worst_case_notional(price) == expected


def test_r1_unpriced_market_order_cannot_be_valued():
    with pytest.raises(ValueError):
        OpenOrder("c", "X-USD", Side.BUY, D("3")).worst_case_notional()


def test_r1_open_buy_notional_and_sell_size():
    orders = (
        OpenOrder("a", "BTC-USD", Side.BUY, D("1"), limit_price=D("100")),
        OpenOrder("b", "ETH-USD", Side.BUY, D("1"), limit_price=D("10")),
        OpenOrder("c", "BTC-USD", Side.SELL, D("0.5"), limit_price=D("120")),
    )
    pf = portfolio(orders=orders)
    assert pf.open_buy_notional({}) == D("110")
    assert pf.open_buy_notional({}, "BTC-USD") == D("100")
    assert pf.open_sell_size("BTC-USD") == D("0.5")


def test_r2_peak_only_rises():
    pos = position(peak_price=D("10"))
    assert pos.with_peak(D("9")) is pos
    assert pos.with_peak(D("11")).peak_price == D("11")


def test_u1_snapshot_tiers_and_refresh_interval():
    market = MarketSnapshot({"BTC-USD": market_for()})
    result = build_universe(market.products, UniverseConfig(), NOW)
    assert market.with_tiers(result.tiers()).tiers == {"BTC-USD": "core"}
    assert refresh_due(None, NOW, UniverseConfig())
    assert not refresh_due(result, NOW + 299.9, UniverseConfig())
    assert refresh_due(result, NOW + 300, UniverseConfig())
