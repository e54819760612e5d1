"""EX-2, PERF-2: the stream events that write their `__init__` out take exactly their
fields, in field order, positionally and by name (compiled or not)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from trader.core.types import Side
from trader.exchange import models
from trader.exchange.models import MarketTrade

WRITTEN_OUT = [models.TickerEvent, models.MarketTrade, models.TradesEvent]


def _distinct_values(cls: type) -> dict[str, object]:
    """A value of the declared type per field, no two alike."""
    made: dict[str, object] = {}
    for n, field in enumerate(dataclasses.fields(cls)):
        # the annotation's text, or (compiled) the class it names
        kind = getattr(field.type, "__name__", None) or str(field.type)
        if kind == "str":
            made[field.name] = f"value-{n}"
        elif kind == "Decimal":
            made[field.name] = Decimal(n) + Decimal("0.5")
        elif kind == "float":
            made[field.name] = n + 0.25
        elif kind == "bool":
            made[field.name] = True
        elif kind.startswith("list"):
            made[field.name] = [models.MarketTrade("p", str(n), Decimal(1), Decimal(1), "BUY", 0.0)]
        else:
            raise AssertionError(f"{cls.__name__}.{field.name}: no test value for {kind}")
    return made


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda c: c.__name__)
def test_an_own_init_sets_every_field_in_field_order(cls):
    values = _distinct_values(cls)
    by_position = cls(*values.values())
    by_name = cls(**values)
    for name, value in values.items():
        assert getattr(by_position, name) == value  # floats come back re-boxed (compiled)
        assert getattr(by_name, name) == value
    assert by_position == by_name
    assert dataclasses.asdict(by_position) == dataclasses.asdict(by_name)
    with pytest.raises(TypeError):
        cls(*values.values(), "one too many")


@pytest.mark.parametrize("side", list(Side))
def test_x6_a_market_trade_becomes_a_trade_of_its_side(side):
    trade = MarketTrade("BTC-USD", "7", Decimal("100"), Decimal("0.5"), side.value, 3.0).to_trade()
    assert trade.side is side
    assert (trade.product_id, trade.trade_id, trade.price, trade.size) == (
        "BTC-USD",
        "7",
        Decimal("100"),
        Decimal("0.5"),
    )


@pytest.mark.parametrize("text", ["buy", "UNKNOWN_ORDER_SIDE", ""])
def test_x6_a_market_trade_of_no_side_is_refused(text):
    with pytest.raises(ValueError):
        MarketTrade("BTC-USD", "7", Decimal("100"), Decimal("0.5"), text, 3.0).to_trade()
