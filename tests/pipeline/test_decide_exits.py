"""R-2 through the decision core: the exit check between cycles for some products (`only`)
gives exactly the exits a check of every position gives for those products."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from trader.config.plugins import shipped_plugins
from trader.config.policy import PolicyConfig
from trader.config.signals import SignalsConfig
from trader.config.strategies import StrategiesConfig
from trader.config.universe import UniverseConfig
from trader.core.market import MarketSnapshot, ProductMarket
from trader.core.portfolio import Portfolio, Position
from trader.core.risk_state import RiskState
from trader.pipeline.decide import DecisionCore, DecisionInputs, DecisionStep

from ..risk.factories import NOW, portfolio, position, quote, rules

PRODUCTS = ("AAA-USD", "BBB-USD", "CCC-USD", "DDD-USD", "EEE-USD")
PRICES = ("90", "96.9", "97", "100", "106", "110")  # around a 3 % stop and a 6 % target
STRATEGIES = StrategiesConfig.model_validate({"registry": {"rules": {"enabled": True}}})
CORE = DecisionCore(
    PolicyConfig(), UniverseConfig(), SignalsConfig(), STRATEGIES,
    plugins=shipped_plugins(STRATEGIES),
)  # fmt: skip


def _held(pid: str, draw: st.DrawFn) -> Position:
    return position(
        pid,
        cost="100",
        entry=NOW - draw(st.sampled_from([60.0, 3599.0, 3600.0, 7200.0])),
        stop=draw(st.sampled_from([None, "3"])),
        take_profit_pct=draw(st.sampled_from([None, Decimal("6")])),
        max_hold_s=draw(st.sampled_from([None, 3600.0])),
    )


def _market(prices: dict[str, str]) -> MarketSnapshot:
    """Each price inside the outlier band of a last close of 100 (a sigma of 2 %): every
    exit is sent at once (the wait for confirmation: tests/risk/test_exit_confirm.py)."""
    return MarketSnapshot(
        {
            pid: ProductMarket(
                rules=rules(pid),
                quote=quote(pid, price),
                data_time=NOW,
                sigma=0.02,
                last_close=Decimal(100),
            )
            for pid, price in prices.items()
        }
    )


@st.composite
def checks(draw: st.DrawFn) -> tuple[Portfolio, dict[str, str], list[str]]:
    held = draw(st.lists(st.sampled_from(PRODUCTS), unique=True))
    pf = portfolio("10000", tuple(_held(pid, draw) for pid in held))
    only = draw(st.lists(st.sampled_from(PRODUCTS), unique=True))
    priced = [pid for pid in only if draw(st.booleans())]  # a check's market: its products
    prices = {pid: draw(st.sampled_from(PRICES)) for pid in priced}
    return pf, prices, only


@given(checks())
def test_r2_exits_of_some_products_are_the_exits_of_all_for_those(
    check: tuple[Portfolio, dict[str, str], list[str]],
) -> None:
    pf, prices, only = check
    inputs = DecisionInputs(NOW, _market(prices), pf, RiskState())
    every, some = DecisionStep(inputs), DecisionStep(inputs)
    CORE.exits(every)
    CORE.exits(some, only)
    assert some.exits == tuple(e for e in every.exits if e.product_id in only)


def _bids(prices: dict[str, str]) -> dict[str, Decimal]:
    """The price each product's check reads: the bid of its quote in the snapshot."""
    return {pid: quote(pid, price).bid for pid, price in prices.items()}


@given(checks(), st.booleans())
def test_r2_exit_due_answers_as_the_exits_stage_before_any_step_is_built(
    check: tuple[Portfolio, dict[str, str], list[str]], of_some: bool
) -> None:
    """The check between cycles builds its step only when `exit_due` says so: it must be
    True exactly when the exits stage finds an exit (for `only`, or for every position),
    with or without a price, at, before and past each stop, target and max hold."""
    pf, prices, only = check
    chosen = only if of_some else None
    step = DecisionStep(DecisionInputs(NOW, _market(prices), pf, RiskState()))
    CORE.exits(step, chosen)
    assert CORE.exit_due(pf.positions, _bids(prices).get, NOW, chosen) == bool(step.exits)


def test_r2_exit_due_passes_no_position_without_size_and_keeps_dust_to_the_step() -> None:
    """A position of size 0 has no exit; one that floors to dust answers True (the step
    built then drops it), so `exit_due` never hides an exit the step would send."""
    bids = _bids({"AAA-USD": "90"}).get
    empty = portfolio("10000", (position("AAA-USD", size="0"),))
    assert not CORE.exit_due(empty.positions, bids, NOW)
    dust = portfolio("10000", (position("AAA-USD", size="0.000000001"),))
    step = DecisionStep(DecisionInputs(NOW, _market({"AAA-USD": "90"}), dust, RiskState()))
    CORE.exits(step)
    assert step.exits == ()
    assert CORE.exit_due(dust.positions, bids, NOW)
