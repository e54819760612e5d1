"""R-1 / R-3 gate checks, one table per check, both sides of every boundary."""

from __future__ import annotations

import math
from dataclasses import fields, replace
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.support.daemon import REPO_ROOT
from trader.config.loader import load_config
from trader.config.policy import PolicyConfig
from trader.core.decision import RejectReason
from trader.core.risk_state import ALL_PRODUCTS, Cooldown, RiskState, TradeStamp
from trader.core.types import FeeRates, Side, TradingState
from trader.risk import checks
from trader.risk.fees import Liquidity

from .factories import NOW, buy, market_for, rules, snapshot

POLICY = PolicyConfig()


def _reason(refusal: checks.Refusal | None) -> RejectReason | None:
    return None if refusal is None else refusal.reason


@pytest.mark.parametrize(
    ("state", "halt_reason", "side", "expected"),
    [
        (TradingState.ACTIVE, None, Side.BUY, None),
        (TradingState.ACTIVE, None, Side.SELL, None),
        (TradingState.REDUCING, None, Side.BUY, RejectReason.REDUCING_ONLY),
        (TradingState.REDUCING, None, Side.SELL, None),
        (TradingState.HALTED, "daily_loss", Side.BUY, RejectReason.HALTED),
        (TradingState.HALTED, "daily_loss", Side.SELL, RejectReason.HALTED),
        (TradingState.HALTED, "kill_switch", Side.BUY, RejectReason.KILL_SWITCH),
        (TradingState.HALTED, "kill_switch", Side.SELL, RejectReason.KILL_SWITCH),
    ],
)
def test_r1_trading_state_gate(state, halt_reason, side, expected):
    risk_state = RiskState(trading_state=state, halt_reason=halt_reason)
    assert _reason(checks.check_trading_state(risk_state, side)) == expected


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, None),
        ({"status": "delisted"}, RejectReason.PRODUCT_DISABLED),
        ({"trading_disabled": True}, RejectReason.PRODUCT_DISABLED),
        ({"cancel_only": True}, RejectReason.PRODUCT_DISABLED),
        ({"limit_only": True}, None),  # entries are post-only limit orders
        ({"post_only": True}, None),
    ],
)
def test_r1_product_disabled_flags(flags, expected):
    product = market_for(product_rules=rules("BTC-USD", **flags))
    assert _reason(checks.check_product_enabled(product)) == expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [(0.0, None), (120.0, None), (120.5, RejectReason.STALE_DATA), (1e6, RejectReason.STALE_DATA)],
)
def test_r1_stale_data_boundary(age, expected):
    product = market_for(data_age=age)
    assert _reason(checks.check_fresh(product, NOW, POLICY)) == expected


def test_r1_stale_data_when_quote_missing():
    product = market_for(with_quote=False)
    assert _reason(checks.check_fresh(product, NOW, POLICY)) == RejectReason.STALE_DATA


def test_r1_not_eligible_outside_universe():
    market = snapshot(market_for("BTC-USD"))
    assert checks.check_eligible(market, "BTC-USD") is None
    assert _reason(checks.check_eligible(market, "ETH-USD")) == RejectReason.NOT_ELIGIBLE


@pytest.mark.parametrize(
    ("spread", "expected"),
    [("49.99", None), ("50", None), ("50.01", RejectReason.SPREAD_TOO_WIDE)],
)
def test_r1_spread_too_wide_boundary(spread, expected):
    product = market_for(spread_bps=spread)
    assert _reason(checks.check_spread(product, POLICY)) == expected


@pytest.mark.parametrize(
    ("mid", "sigma", "expected"),
    [
        ("100", 0.001, None),
        ("100.7", 0.001, None),  # ln(1.007) = 0.00698 < 8 * 0.001
        ("100.9", 0.001, RejectReason.OUTLIER),  # 0.00896 > 0.008
        ("99.1", 0.001, RejectReason.OUTLIER),
        ("100.05", 0.0, None),  # sigma floored at 1e-4: 0.0005 < 0.0008
        ("100", None, RejectReason.OUTLIER),  # cannot verify: fail closed
    ],
)
def test_r1_outlier_k_sigma(mid, sigma, expected):
    base = market_for(price="100", sigma=sigma)
    product = market_for(price=mid, sigma=sigma)
    product = type(product)(**{**_fields(product), "last_close": base.last_close})
    assert _reason(checks.check_outlier(product, POLICY)) == expected


def _exact_outlier(product, policy) -> bool:
    """The rule itself: |ln(mid / last close)| in exact Decimal above k * max(sigma, 1e-4)."""
    deviation = abs((product.quote.mid / product.last_close).ln())
    return bool(deviation > policy.outlier_sigma_k * max(product.sigma, checks.MIN_SIGMA))


def _near_the_limit(mid: D, close: D, k: float, ulps: int) -> float:
    """A sigma putting the limit within `ulps` float steps of the exact deviation."""
    sigma = float(abs((mid / close).ln())) / k
    for _ in range(abs(ulps)):
        sigma = math.nextafter(sigma, math.inf if ulps > 0 else -math.inf)
    return sigma


_PRICES = st.decimals(min_value=D("1e-8"), max_value=D("1e9"), places=8, allow_nan=False)


@settings(max_examples=400, deadline=None)
@given(
    mid=_PRICES,
    close=_PRICES,
    k=st.floats(min_value=0.5, max_value=20),
    sigma=st.one_of(
        st.floats(min_value=0, max_value=1), st.just(None), st.integers(-3, 3)
    ),  # an int: a sigma that many float steps from the one making the limit the deviation
)
def test_r1_outlier_decides_as_the_exact_logarithm_does(mid, close, k, sigma):
    """R-1: the float shortcut for a mid clearly inside the band refuses exactly what the
    exact Decimal rule refuses — also for limits a few float steps from the deviation."""
    assume(mid > 0 and close > 0)
    if isinstance(sigma, int):
        sigma = _near_the_limit(mid, close, k, sigma)
        assume(sigma >= checks.MIN_SIGMA)
    policy = POLICY.model_copy(update={"outlier_sigma_k": k})
    product = market_for(price=mid, sigma=sigma)
    product = type(product)(**{**_fields(product), "last_close": close})
    expected = RejectReason.OUTLIER if sigma is None or _exact_outlier(product, policy) else None
    assert _reason(checks.check_outlier(product, policy)) == expected


def _fields(obj):
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


@pytest.mark.parametrize(
    ("until", "key", "expected"),
    [
        (NOW + 1, "BTC-USD", RejectReason.COOLDOWN),
        (NOW, "BTC-USD", None),  # expires exactly at `until`
        (NOW - 1, "BTC-USD", None),
        (NOW + 1, "ETH-USD", None),
        (NOW + 1, ALL_PRODUCTS, RejectReason.COOLDOWN),
    ],
)
def test_r3_cooldown_enforced_until_expiry(until, key, expected):
    state = RiskState(cooldowns={key: Cooldown(until, "after_fill")})
    assert _reason(checks.check_cooldown(state, "BTC-USD", NOW)) == expected


@pytest.mark.parametrize(
    ("ages", "expected"),
    [
        ([10] * 5, None),
        ([10] * 6, RejectReason.TRADE_RATE),
        ([3600] * 6, None),  # exactly one hour ago no longer counts
        ([3599.9] * 6, RejectReason.TRADE_RATE),
        ([4000] * 29, None),
        ([4000] * 30, RejectReason.TRADE_RATE),
        ([86400] * 30, None),
    ],
)
def test_r1_trade_rate_per_hour_and_day(ages, expected):
    trades = tuple(TradeStamp(NOW - age, f"P{i}-USD") for i, age in enumerate(ages))
    assert _reason(checks.check_trade_rate(trades, NOW, POLICY)) == expected


@pytest.mark.parametrize(
    ("age", "product", "expected"),
    [
        (299.0, "BTC-USD", RejectReason.SPACING),
        (300.0, "BTC-USD", None),
        (10.0, "ETH-USD", None),
    ],
)
def test_r1_spacing_between_entries_per_product(age, product, expected):
    trades = (TradeStamp(NOW - age, product),)
    assert _reason(checks.check_spacing(trades, "BTC-USD", NOW, POLICY)) == expected


@pytest.mark.parametrize(
    ("open_products", "product", "expected"),
    [
        ({"A", "B", "C", "D"}, "BTC-USD", None),
        ({"A", "B", "C", "D", "E"}, "BTC-USD", RejectReason.MAX_OPEN_POSITIONS),
        ({"A", "B", "C", "D", "BTC-USD"}, "BTC-USD", None),  # adding to a held product
    ],
)
def test_r1_max_open_positions(open_products, product, expected):
    assert _reason(checks.check_open_positions(open_products, product, POLICY)) == expected


@pytest.mark.parametrize(
    ("equity", "expected"),
    [
        ("9701", None),
        ("9700", RejectReason.DAILY_LOSS),  # -3 % exactly reaches the limit
        ("9000", RejectReason.DAILY_LOSS),
    ],
)
def test_r3_daily_loss_blocks_entries(equity, expected):
    from trader.risk.limits import utc_day

    state = RiskState(day=utc_day(NOW), day_start_equity=D("10000"), high_water_mark=D("10000"))
    assert _reason(checks.check_loss_limits(state, D(equity), POLICY, NOW)) == expected


@pytest.mark.parametrize(
    ("equity", "expected"),
    [("9001", None), ("9000", RejectReason.DRAWDOWN), ("8000", RejectReason.DRAWDOWN)],
)
def test_r3_drawdown_blocks_entries(equity, expected):
    state = RiskState(high_water_mark=D("10000"))  # no day start: only the drawdown applies
    assert _reason(checks.check_loss_limits(state, D(equity), POLICY, NOW)) == expected


@pytest.mark.parametrize(
    ("kwargs", "ok"),
    [
        ({"pct": "5"}, True),
        ({"pct": None, "notional": "50"}, True),
        ({"pct": None}, False),
        ({"pct": "0"}, False),
        ({"pct": "101"}, False),
    ],
)
def test_r1_invalid_proposal_sizing(kwargs, ok):
    refusal = checks.check_proposal_valid(buy(**kwargs))
    assert (refusal is None) is ok


@pytest.mark.parametrize(
    ("take_profit", "multiple", "expected"),
    [
        (None, "1", None),  # no target: nothing to judge
        ("1.5", "1", RejectReason.TARGET_BELOW_COST),  # fees 0.9 + 0.9 % + 2 bp spread
        ("1.82", "1", None),
        ("3", "2", RejectReason.TARGET_BELOW_COST),
        ("1", "0", None),  # 0: the check is off
    ],
)
def test_r1_an_entry_target_must_cover_its_round_trip_cost(take_profit, multiple, expected):
    """Entry fee (taker sizing) + taker exit fee + spread, in percent, times the multiple."""
    proposal = replace(buy(), take_profit_pct=None if take_profit is None else D(take_profit))
    policy = PolicyConfig(min_target_cost_multiple=D(multiple))
    rates = FeeRates(maker=D("0.005"), taker=D("0.009"))
    refusal = checks.check_target_covers_cost(
        proposal, market_for("BTC-USD", spread_bps="2"), rates, Liquidity.TAKER, policy
    )
    assert _reason(refusal) == expected


def test_r1_shipped_rules_targets_cover_the_round_trip_at_the_widest_spread():
    """The shipped `rules` exit plans pass the fee-aware check the shipped policy turns on,
    at the fallback fees and the widest spread the policy trades (issue: a target below the
    round trip's cost loses before the market moves)."""
    loaded = load_config(REPO_ROOT / "app.yaml.example")
    policy, rules_config = loaded.policy, loaded.strategies.rules
    assert policy.min_target_cost_multiple >= 1
    rates = FeeRates(maker=policy.fee_fallback_maker, taker=policy.fee_fallback_taker)
    product = market_for("BTC-USD", spread_bps=str(policy.max_spread_bps))
    plans = [rules_config.default_exits, *rules_config.exits_by_trigger.values()]
    for plan in plans:
        proposal = replace(buy(), take_profit_pct=plan.take_profit_pct)
        assert (
            checks.check_target_covers_cost(
                proposal, product, rates, policy.sizing_liquidity, policy
            )
            is None
        ), plan
