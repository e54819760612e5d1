"""PERF-4: the value objects with their `__init__` written out (`core/values.py`) take
exactly their fields, compare and hash as values, and stay read-only — compiled (mypyc's
`Final` slots) and interpreted (`write_once`), as a strategy handed one would find them."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pytest

from trader.backtest.fills import Levels, PathPoint
from trader.core.market import MarketSnapshot, ProductMarket
from trader.core.orders import OrderKind
from trader.core.portfolio import OpenOrder, Portfolio, Position
from trader.core.risk_state import Cooldown, RiskState, TradeStamp
from trader.core.types import BookLevel, Candle, ProductRules, Quote, Side, Trade, TradingState
from trader.core.values import write_once
from trader.exchange.models import Account
from trader.execution.accounting import FillRow
from trader.execution.intents import Intent, IntentState, Purpose
from trader.matching.types import Balance, BookUpdate, CreateOutcome, OrderSpec
from trader.pipeline.decide import DecisionInputs
from trader.triggers.series import SeriesMeasures
from trader.universe.builder import EligibleProduct, UniverseResult
from trader.universe.filters import Exclusion, ExclusionReason

REPO_ROOT = Path(__file__).resolve().parents[2]
D = Decimal
RULES = ProductRules(
    "BTC-USD", "BTC", "USD", D("0.0001"), D("0.01"), D("0.001"), D(1000), D(1), D(10**6)
)
QUOTE = Quote("BTC-USD", D("100.01"), D(2), D("100.03"), D(3), 1.5)
SNAPSHOT = MarketSnapshot({"BTC-USD": ProductMarket(RULES, QUOTE)}, "calm", {"BTC-USD": "core"})

# every field a distinct value of its type, in field order
MADE: dict[type, Callable[[], dict[str, Any]]] = {
    Candle: lambda: dict(
        product_id="BTC-USD", start=60, open=D(1), high=D(4), low=D("0.5"), close=D(2), volume=D(7)
    ),
    Trade: lambda: dict(
        product_id="BTC-USD", trade_id="9", price=D(3), size=D("0.2"), side=Side.SELL, time=2.5
    ),
    Quote: lambda: dict(
        product_id="ETH-USD", bid=D(1), bid_size=D(2), ask=D(3), ask_size=D(4), time=5.5
    ),
    ProductMarket: lambda: dict(
        rules=RULES, quote=QUOTE, quote_volume_24h=D(9), listed_at=1.0, data_time=2.0,
        sigma=0.01, last_close=D(8), last_candle=Candle(
            "BTC-USD", 120, D(8), D(9), D(7), D(8), D(1)
        ),
    ),
    MarketSnapshot: lambda: dict(products=SNAPSHOT.products, regime="calm", tiers={"x": "y"}),
    DecisionInputs: lambda: dict(
        now=3.0, market=SNAPSHOT, portfolio=Portfolio(), risk_state=RiskState()
    ),
    EligibleProduct: lambda: dict(
        product_id="BTC-USD", tier="core", quote_volume_24h=D(5), spread_bps=D(2),
        clusters=("majors",),
    ),
    Exclusion: lambda: dict(product_id="X-USD", reason=ExclusionReason.STALE_DATA, detail="old"),
    Levels: lambda: dict(
        stops=((D(1), None),), targets=((D(2), D(3)),), bids=(D(4),), asks=(D(5),)
    ),
    PathPoint: lambda: dict(time=1.0, price=D(2), corner=True, trade=False, bid=D(3)),
    Account: lambda: dict(
        uuid="u", currency="USD", available=D(1), hold=D(2), account_type="CRYPTO",
        active=True, ready=False,
    ),
    Balance: lambda: dict(currency="USD", available=D(1), hold=D(2)),
    FillRow: lambda: dict(side=Side.BUY, price=D(1), size=D(2), commission=D(3), trade_time=4.0),
    Cooldown: lambda: dict(until=5.0, reason="stop_loss"),
    TradeStamp: lambda: dict(time=6.0, product_id="BTC-USD"),
    SeriesMeasures: lambda: dict(
        last_start=300, return_15m=0.01, return_60m=None, volume_ratio=1.5, breakout_up=0.02,
        breakout_down=-0.02, momentum_return=0.03, momentum_up_share=0.6,
        momentum_down_share=0.4, sigma=0.001,
    ),
    RiskState: lambda: dict(
        trading_state=TradingState.REDUCING, halt_reason="loss", halted_at=1.0,
        high_water_mark=D(2), day_start_equity=D(3), day="2021-01-02",
        cooldowns={"BTC-USD": Cooldown(9.0, "loss")}, consecutive_losses=2,
        recent_trades=(TradeStamp(1.0, "BTC-USD"),),
    ),
    Position: lambda: dict(
        product_id="ETH-USD", base_size=D(2), avg_cost=D(3), entry_time=4.0, strategy_id="s",
        stop_loss_pct=D(5), take_profit_pct=D(6), max_hold_s=7.0, trailing_stop_pct=D(8),
        peak_price=D(9),
    ),
    OpenOrder: lambda: dict(
        order_id="o", product_id="ETH-USD", side=Side.SELL, base_size=D(1), limit_price=D(2),
        quote_size=D(3), strategy_id="s", stop_loss_pct=D(4),
    ),
    BookLevel: lambda: dict(price=D(1), size=D(2)),
    UniverseResult: lambda: dict(
        eligible={"BTC-USD": EligibleProduct("BTC-USD", "core", D(5), D(2), ())},
        excluded={"X-USD": Exclusion("X-USD", ExclusionReason.STALE_DATA, "old")}, as_of=3.0,
    ),
    Intent: lambda: dict(
        intent_id="i", client_order_id="c", mode="PAPER", purpose=Purpose.EXIT,
        product_id="ETH-USD", side=Side.SELL, order_configuration="limit", request_body=b"{}",
        base_size=D(1), quote_size=D(2), limit_price=D(3), state=IntentState.OPEN,
        created_at=4.0, cycle_id="cy", proposal_id="p", parent_intent_id="pi", expires_at=5.0,
        exchange_order_id="x", filled_size=D(6), filled_value=D(7), fees=D(8), attempts=9,
        reject_reason="r", reason="stop_loss", strategy="s",
    ),
    OrderSpec: lambda: dict(
        kind=OrderKind.LIMIT_GTD, base_size=D(1), quote_size=D(2), limit_price=D(3), post_only=True,
        end_time=4.0, stop_price=D(5), stop_direction="STOP_DOWN", stop_trigger_price=D(6),
    ),
    CreateOutcome: lambda: dict(
        success=False, order=None, error="INSUFFICIENT_FUND", message="m", failure_reason="f",
        preview_failure_reason="p",
    ),
    BookUpdate: lambda: dict(
        product_id="BTC-USD", bids=(BookLevel(D(1), D(2)),), asks=(BookLevel(D(3), D(4)),),
        time=5.0, snapshot=False,
    ),
}  # fmt: skip
DICTS: Final = (MarketSnapshot, DecisionInputs, RiskState, UniverseResult)
HASHED = [cls for cls in MADE if cls not in DICTS]


@pytest.mark.parametrize("cls", MADE, ids=lambda c: c.__name__)
def test_perf4_a_value_takes_exactly_its_fields_in_order(cls):
    values = MADE[cls]()
    assert [f.name for f in dataclasses.fields(cls)] == list(values)
    by_position, by_name = cls(*values.values()), cls(**values)
    for name, value in values.items():
        assert getattr(by_position, name) == value  # compiled floats come back re-boxed
        assert getattr(by_name, name) == value
    assert by_position == by_name
    with pytest.raises(TypeError):
        cls(*values.values(), "one too many")


@pytest.mark.parametrize("cls", MADE, ids=lambda c: c.__name__)
def test_perf4_a_field_left_out_takes_its_declared_default(cls):
    """A written-out `__init__` keeps the dataclass's defaults: leaving a field out gives
    the same value as passing the field's declared default."""
    values = MADE[cls]()
    defaulted = [f for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING]
    required = {name: v for name, v in values.items() if name not in {f.name for f in defaulted}}
    for field in defaulted:
        assert cls(**required) == cls(**required, **{field.name: field.default}), field.name


@pytest.mark.parametrize("cls", HASHED, ids=lambda c: c.__name__)
def test_perf4_equal_values_hash_alike_and_replace_makes_a_new_one(cls):
    values = MADE[cls]()
    first, second = cls(**values), cls(**values)
    assert hash(first) == hash(second) and len({first, second}) == 1
    again = dataclasses.replace(first)
    assert again == first and again is not first


def test_perf4_replace_changes_one_field_of_a_copy():
    candle = Candle(**MADE[Candle]())
    higher = dataclasses.replace(candle, close=D(3))
    assert (higher.close, candle.close, higher.open) == (D(3), D(2), candle.open)


@pytest.mark.parametrize("cls", MADE, ids=lambda c: c.__name__)
def test_perf4_no_field_can_be_changed_or_deleted(cls):
    value = cls(**MADE[cls]())
    before = repr(value)
    for field in dataclasses.fields(cls):
        with pytest.raises(AttributeError):  # FrozenInstanceError is one
            setattr(value, field.name, getattr(value, field.name))
        with pytest.raises(AttributeError):
            delattr(value, field.name)
    assert repr(value) == before


def test_perf4_write_once_lets_init_set_each_field_and_refuses_later_changes():
    @dataclass(slots=True, unsafe_hash=True, init=False)
    class Point:
        x: Final[int]
        y: Final[int]

        def __init__(self, x: int, y: int = 0) -> None:
            self.x = x
            self.y = y

    write_once(Point)
    point = Point(1, 2)
    assert (point.x, point.y) == (1, 2)
    with pytest.raises(FrozenInstanceError, match="'x'"):
        point.x = 5  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError, match="'y'"):
        del point.y
    assert dataclasses.replace(point, y=7) == Point(1, 7) and point.y == 2


PURE_PROBE = """
from decimal import Decimal
from dataclasses import FrozenInstanceError
import trader.native as native
from trader.core.types import Candle
candle = Candle("BTC-USD", 0, Decimal(1), Decimal(2), Decimal(1), Decimal(2), Decimal(3))
try:
    candle.close = Decimal(9)
except FrozenInstanceError:
    print(native.COMPILED, "refused", candle.close)
"""


def test_perf4_the_pure_copy_refuses_a_change_too():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run(
        [sys.executable, "-c", PURE_PROBE],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        env={**env, "TRADER_PURE_PYTHON": "1"},
    )  # fmt: skip
    assert (probe.stdout.split(), probe.stderr) == (["False", "refused", "2"], "")
