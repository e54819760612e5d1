"""One decision cycle end to end (U-1 -> S-1 -> STR-1 -> R-1 -> R-2), pure and repeatable."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from trader.config.plugins import shipped_plugins
from trader.config.policy import PolicyConfig
from trader.config.signals import SignalsConfig
from trader.config.strategies import StrategiesConfig
from trader.config.universe import UniverseConfig
from trader.core.decision import VerdictAction
from trader.core.market import MarketSnapshot, ProductMarket
from trader.core.risk_state import RiskState
from trader.core.types import Side
from trader.risk.config import RiskConfig
from trader.risk.engine import evaluate
from trader.risk.exits import exits_due, filter_exits
from trader.strategies import StrategyContext, StrategyRegistry
from trader.triggers import TriggerEngine
from trader.universe import build_universe

from ..risk.factories import candle, portfolio, quote, rules
from ..triggers.helpers import T0


def _cycle(future=()):
    engine = TriggerEngine(SignalsConfig())
    for i in range(80):
        close = 100 + (i % 2) * 0.05 if i < 75 else 100 + (i - 74) * 0.8  # late rally
        engine.on_candle(candle("BTC-USD", T0 + 60 * i, round(close, 2), 10))
    for minute, close, volume in future:  # candles not closed at `now`
        engine.on_candle(candle("BTC-USD", T0 + 60 * minute, close, volume))
    now = float(T0 + 60 * 80 + 30)
    engine.advance(now)
    last = engine.last_close("BTC-USD")
    product = ProductMarket(
        rules=rules("BTC-USD"),
        quote=quote("BTC-USD", last, "2", now - 1),
        quote_volume_24h=D("100000000"),
        listed_at=now - 400 * 86400,
        data_time=now - 1,
        sigma=engine.sigma("BTC-USD"),
        last_close=last,
    )
    universe_config = UniverseConfig(min_daily_volatility_pct=0.0, max_daily_volatility_pct=500)
    universe = build_universe({"BTC-USD": product}, universe_config, now)
    market = MarketSnapshot({"BTC-USD": product}, "normal", universe.tiers())
    triggers = engine.evaluate(now, market.regime, universe.eligible.keys())
    strategies = StrategiesConfig.model_validate({"registry": {"rules": {"enabled": True}}})
    pf = portfolio("10000")
    proposals = StrategyRegistry.from_config(strategies, shipped_plugins(strategies)).propose_all(
        StrategyContext(now, triggers, market, pf)
    )
    policy = PolicyConfig()
    config = RiskConfig.from_configs(policy, universe_config, strategies)
    verdicts = evaluate(proposals, pf, market, RiskState(), config, now)
    exits = filter_exits(exits_due(pf.positions, market.mid_prices(), now, policy), RiskState())
    return universe, triggers, proposals, verdicts, exits


def test_str1_full_cycle_rally_becomes_an_approved_entry():
    universe, triggers, proposals, verdicts, exits = _cycle()
    assert universe.tiers() == {"BTC-USD": "core"}
    assert triggers and all(t.product_id == "BTC-USD" for t in triggers)
    (proposal,) = proposals
    assert proposal.side is Side.BUY and proposal.size_pct == D("5")
    (verdict,) = verdicts
    assert verdict.action is VerdictAction.APPROVE
    assert D("0") < verdict.notional <= D("500")
    assert exits == []


def test_str1_full_cycle_is_deterministic():
    assert _cycle() == _cycle()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(80, 200), st.integers(1, 1000), st.integers(0, 10_000)),
        max_size=8,
    )
)
def test_str1_property_no_look_ahead_through_the_whole_cycle(future):
    """Candles not closed at `now` (the forming one included) never change any decision."""
    assert _cycle(sorted(set(future))) == _cycle()
