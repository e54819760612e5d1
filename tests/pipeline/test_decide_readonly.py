"""STR-1: what a strategy is handed cannot change what the next stage sees."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader.core.market import MarketSnapshot
from trader.core.portfolio import Portfolio
from trader.pipeline.decide import read_only_portfolio
from trader.triggers.types import Direction, TriggerKind, TriggerSignal

from ..risk.factories import market_for, position


def test_str1_strategy_view_of_the_portfolio_is_read_only() -> None:
    cash, positions = {"USD": D(100)}, {"BTC-USD": position("BTC-USD", "1", "10")}
    shown = read_only_portfolio(Portfolio("USD", cash, positions, []))
    with pytest.raises(AttributeError):
        shown.cash.clear()  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        shown.positions["ETH-USD"] = None  # type: ignore[index]
    assert shown.quote_cash() == D(100) and shown.held_size("BTC-USD") == D(1)
    assert isinstance(shown.open_orders, tuple)


def test_str1_snapshot_with_tiers_is_read_only() -> None:
    products = {"BTC-USD": market_for()}
    market = MarketSnapshot(products).with_tiers({"BTC-USD": "core"})
    with pytest.raises(AttributeError):
        market.products.clear()  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        market.tiers["ETH-USD"] = "core"  # type: ignore[index]
    assert list(market.products) == ["BTC-USD"] and dict(market.tiers) == {"BTC-USD": "core"}


def test_str1_a_triggers_values_are_read_only() -> None:
    values = {"return_pct": 1.5}
    signal = TriggerSignal("BTC-USD", TriggerKind.MOMENTUM, Direction.UP, 0.5, 60, values)
    with pytest.raises(TypeError):
        signal.values["return_pct"] = 0.0  # type: ignore[index]
    values["return_pct"] = 0.0  # the maker's dict is not the one shown
    assert dict(signal.values) == {"return_pct": 1.5}
    assert dict(TriggerSignal("BTC-USD", TriggerKind.BREAKOUT, Direction.UP, 1, 60).values) == {}
