"""R-1 risk engine: verdicts, caps in batch order, quantized resizes, spot-only sells."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader.config.policy import PolicyConfig
from trader.config.universe import ClusterConfig, UniverseConfig
from trader.core.decision import RejectReason, VerdictAction
from trader.core.market import MarketSnapshot
from trader.core.portfolio import OpenOrder
from trader.core.risk_state import Cooldown, RiskState
from trader.core.types import Side, TradingState
from trader.risk.config import RiskConfig
from trader.risk.engine import evaluate

from .factories import NOW, buy, market_for, portfolio, position, risk_config, rules, sell, snapshot

ACTIVE = RiskState()


def _one(proposal, pf=None, market=None, state=ACTIVE, config=None):
    market = market or snapshot(market_for("BTC-USD"), market_for("ETH-USD"))
    verdicts = evaluate([proposal], pf or portfolio(), market, state, config or risk_config(), NOW)
    assert len(verdicts) == 1
    return verdicts[0]


def test_r1_simple_entry_approved_and_quantized_down():
    verdict = _one(buy(pct="5"))
    assert verdict.action is VerdictAction.APPROVE
    assert verdict.reasons == ()
    assert verdict.price == D("100.01")
    assert verdict.base_size == D("4.9995")  # floor(500 / 100.01) to 0.0001
    assert verdict.notional == verdict.base_size * verdict.price <= D("500")
    assert verdict.details["equity"] == D("10000")
    assert verdict.details["requested_notional"] == D("500")


def test_r1_position_cap_resizes_down():
    verdict = _one(buy(pct="25"))
    assert verdict.action is VerdictAction.RESIZE
    assert RejectReason.POSITION_CAP in verdict.reasons
    assert verdict.notional <= D("1000")
    assert verdict.details["headroom_position_cap"] == D("1000")


def test_r1_position_cap_counts_existing_position_and_rejects_when_full():
    pf = portfolio("9000", (position("BTC-USD", "10", "100"),))
    verdict = _one(buy(pct="5"), pf)
    assert verdict.action is VerdictAction.REJECT
    assert RejectReason.POSITION_CAP in verdict.reasons
    assert verdict.base_size == 0


def test_r1_total_exposure_cap_counts_open_orders():
    config = risk_config(max_position_pct=60, max_total_exposure_pct=60)
    order = OpenOrder("o1", "ETH-USD", Side.BUY, D("40"), limit_price=D("100"))
    without = _one(buy(pct="30"), portfolio("10000"), config=config)
    with_order = _one(buy(pct="30"), portfolio("10000", orders=(order,)), config=config)
    assert without.action is VerdictAction.APPROVE
    assert with_order.action is VerdictAction.RESIZE
    assert RejectReason.TOTAL_EXPOSURE_CAP in with_order.reasons
    assert with_order.notional <= D("2000")  # 6000 cap - 4000 worst-case order


def test_r1_batch_sees_earlier_approvals():
    config = risk_config(max_position_pct=50, max_total_exposure_pct=60)
    market = snapshot(market_for("BTC-USD"), market_for("ETH-USD"))
    first, second = evaluate(
        [buy("BTC-USD", pct="40"), buy("ETH-USD", pct="40")],
        portfolio(),
        market,
        ACTIVE,
        config,
        NOW,
    )
    assert first.action is VerdictAction.APPROVE
    assert second.action is VerdictAction.RESIZE
    assert RejectReason.TOTAL_EXPOSURE_CAP in second.reasons
    assert first.notional + second.notional <= D("6000")


def test_r1_cluster_cap_limits_theme_exposure():
    universe = UniverseConfig(
        clusters={"majors": ClusterConfig(members=["BTC", "ETH"], max_exposure_pct=D("15"))}
    )
    config = RiskConfig(risk_config().policy, universe, {"rules": D("100")})
    pf = portfolio("9000", (position("ETH-USD", "10", "100"),))
    verdict = _one(buy("BTC-USD", pct="10"), pf, config=config)
    assert verdict.action is VerdictAction.RESIZE
    assert RejectReason.CLUSTER_CAP in verdict.reasons
    assert verdict.notional <= D("500")


def test_r1_tier_allocation_cap():
    policy = risk_config(max_position_pct=50, max_total_exposure_pct=90).policy
    universe = UniverseConfig()  # event tier: allocation cap 10 %
    config = RiskConfig(policy, universe, {"rules": D("100")})
    market = snapshot(market_for("BTC-USD"), tier="event")
    verdict = _one(buy(pct="20"), market=market, config=config)
    assert RejectReason.TIER_CAP in verdict.reasons
    assert verdict.notional <= D("1000")


def test_r1_strategy_budget_at_risk():
    config = risk_config(budget="0.15")  # 15 USD at risk of 10000
    verdict = _one(buy(pct="10", stop="3"), config=config)  # 1000 * 3 % = 30 at risk
    assert verdict.action is VerdictAction.RESIZE
    assert RejectReason.STRATEGY_BUDGET in verdict.reasons
    assert verdict.notional * D("0.03") <= D("15")


def test_r1_strategy_without_budget_is_rejected():
    verdict = _one(buy(strategy="unknown"))
    assert verdict.action is VerdictAction.REJECT
    assert RejectReason.STRATEGY_BUDGET in verdict.reasons


def test_r1_insufficient_funds_counts_fees_and_reserve():
    config = risk_config(min_cash_reserve_pct=98)  # 200 of 10000 spendable
    verdict = _one(buy(pct="5"), config=config)
    assert verdict.reasons == (RejectReason.INSUFFICIENT_FUNDS,)
    assert verdict.notional * D("1.009") <= D("200")
    assert verdict.notional > D("190")


def test_r1_open_buy_orders_hold_cash():
    config = risk_config(max_position_pct=100, max_total_exposure_pct=100)
    order = OpenOrder("o1", "DOGE-USD", Side.BUY, D("90"), limit_price=D("100"))  # 9000 held
    verdict = _one(buy(pct="20"), portfolio("10000", orders=(order,)), config=config)
    assert RejectReason.INSUFFICIENT_FUNDS in verdict.reasons
    spendable = D("10000") - D("9000") * D("1.009")  # 919 after the order's fee hold
    assert verdict.notional * D("1.009") <= spendable


def test_r1_resize_below_min_notional_becomes_rejection():
    config = risk_config(budget="0.003", min_notional=D("10"))  # ~10 USD notional allowed
    verdict = _one(buy(pct="5", stop="3"), config=config)
    assert verdict.action is VerdictAction.REJECT
    assert verdict.reasons[0] is RejectReason.MIN_NOTIONAL
    assert RejectReason.STRATEGY_BUDGET in verdict.reasons
    assert verdict.base_size == 0


@pytest.mark.parametrize(
    ("notional", "action"),
    [("10.10", VerdictAction.APPROVE), ("10.05", VerdictAction.REJECT)],
)
def test_r1_min_notional_is_fee_aware(notional, action):
    # 10.10 * (1 - 0.009) = 10.009 >= 10 ; 10.05 -> 9.96 < 10
    config = risk_config(min_notional=D("10"))
    market = snapshot(market_for("BTC-USD", "1", spread_bps="0"))
    verdict = _one(buy(pct=None, notional=notional), market=market, config=config)
    assert verdict.action is action


def test_r1_size_below_venue_minimum():
    market = snapshot(market_for("BTC-USD", product_rules=rules("BTC-USD", base_min="10")))
    verdict = _one(buy(pct="5"), market=market)
    assert verdict.reasons == (RejectReason.SIZE_BELOW_MINIMUM,)


def test_r1_size_clamped_to_venue_maximum():
    market = snapshot(market_for("BTC-USD", product_rules=rules("BTC-USD", base_max="2")))
    verdict = _one(buy(pct="5"), market=market)
    assert verdict.action is VerdictAction.RESIZE
    assert verdict.base_size == D("2")
    assert RejectReason.SIZE_ABOVE_MAXIMUM in verdict.reasons


def test_r1_regime_multiplier_scales_caps():
    market = MarketSnapshot(
        {"BTC-USD": market_for("BTC-USD")}, regime="risk_off", tiers={"BTC-USD": "core"}
    )
    verdict = _one(buy(pct="10"), market=market)
    assert RejectReason.POSITION_CAP in verdict.reasons
    assert verdict.notional <= D("300")  # 10 % x 0.3


def test_r1_unknown_regime_uses_strictest_multiplier():
    assert PolicyConfig().regime_multiplier("martian") == D("0.3")


def test_r1_kill_switch_rejects_everything():
    state = RiskState(trading_state=TradingState.HALTED, halt_reason="kill_switch")
    pf = portfolio(positions=(position(),))
    for proposal in (buy(), sell()):
        verdict = _one(proposal, pf, state=state)
        assert verdict.reasons == (RejectReason.KILL_SWITCH,)


def test_r1_trade_rate_counts_batch_approvals():
    config = risk_config(max_trades_per_hour=1)
    market = snapshot(market_for("BTC-USD"), market_for("ETH-USD"))
    first, second = evaluate(
        [buy("BTC-USD"), buy("ETH-USD")], portfolio(), market, ACTIVE, config, NOW
    )
    assert first.approved
    assert second.reasons == (RejectReason.TRADE_RATE,)


def test_r1_max_open_positions_counts_batch_and_open_orders():
    config = risk_config(max_open_positions=2)
    order = OpenOrder("o1", "SOL-USD", Side.BUY, D("1"), limit_price=D("100"))
    market = snapshot(market_for("BTC-USD"), market_for("ETH-USD"), market_for("SOL-USD"))
    first, second = evaluate(
        [buy("BTC-USD"), buy("ETH-USD")],
        portfolio(orders=(order,)),
        market,
        ACTIVE,
        config,
        NOW,
    )
    assert first.approved
    assert second.reasons == (RejectReason.MAX_OPEN_POSITIONS,)


def test_r1_open_market_order_without_price_fails_closed():
    order = OpenOrder("o1", "DOGE-USD", Side.BUY, D("1"))
    verdict = _one(buy(), portfolio(orders=(order,)))
    assert verdict.reasons == (RejectReason.STALE_DATA,)


def test_r1_not_eligible_and_unknown_product():
    market = MarketSnapshot({"BTC-USD": market_for("BTC-USD")}, tiers={})
    assert _one(buy(), market=market).reasons == (RejectReason.NOT_ELIGIBLE,)
    assert _one(buy("XYZ-USD")).reasons == (RejectReason.UNKNOWN_PRODUCT,)


def test_r1_shorting_disallowed_without_position():
    verdict = _one(sell("BTC-USD", "1"))
    assert verdict.reasons == (RejectReason.SHORTING_DISALLOWED,)


def test_r1_sell_more_than_held_is_resized_to_position():
    pf = portfolio(positions=(position("BTC-USD", "0.5"),))
    verdict = _one(sell("BTC-USD", "2"), pf)
    assert verdict.action is VerdictAction.RESIZE
    assert verdict.base_size == D("0.5")
    assert verdict.reasons == (RejectReason.SHORTING_DISALLOWED,)


def test_r1_sell_counts_open_sell_orders():
    order = OpenOrder("o1", "BTC-USD", Side.SELL, D("0.5"), limit_price=D("101"))
    pf = portfolio(positions=(position("BTC-USD", "0.5"),), orders=(order,))
    assert _one(sell("BTC-USD", "0.5"), pf).reasons == (RejectReason.SHORTING_DISALLOWED,)


def test_r1_sell_allowed_while_reducing_and_in_cooldown():
    state = RiskState(
        trading_state=TradingState.REDUCING,
        cooldowns={"BTC-USD": Cooldown(NOW + 999, "after_fill")},
    )
    pf = portfolio(positions=(position("BTC-USD", "1"),))
    verdict = _one(sell("BTC-USD", "1"), pf, state=state)
    assert verdict.action is VerdictAction.APPROVE
    assert verdict.base_size == D("1")
    assert _one(buy(), pf, state=state).reasons == (RejectReason.REDUCING_ONLY,)


def test_r3_cooldown_enforced_on_entry_path():
    state = RiskState(cooldowns={"BTC-USD": Cooldown(NOW + 1, "after_stop")})
    assert _one(buy(), state=state).reasons == (RejectReason.COOLDOWN,)


def test_r1_every_verdict_carries_numbers():
    verdict = _one(buy(pct="25"))
    for key in ("equity", "price", "requested_notional", "allowed_notional", "fee_estimate"):
        assert key in verdict.details
    assert all(isinstance(v, D) for v in verdict.details.values())
