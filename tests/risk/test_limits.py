"""R-3 loss limits, reset rules and cooldown bookkeeping."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trader.config.policy import PolicyConfig
from trader.core.decision import RejectReason
from trader.core.risk_state import ALL_PRODUCTS, Cooldown, RiskState, TradeStamp
from trader.core.types import TradingState
from trader.risk import limits

from .factories import NOW

POLICY = PolicyConfig()
DAY = 86400.0


def test_r3_day_rollover_sets_start_equity_at_first_observation():
    state = limits.roll_day(RiskState(), D("1000"), NOW)
    assert state.day == limits.utc_day(NOW) and state.day_start_equity == D("1000")
    same_day = limits.roll_day(state, D("900"), NOW + 1)
    assert same_day.day_start_equity == D("1000")
    next_day = limits.roll_day(state, D("900"), NOW + DAY)
    assert next_day.day_start_equity == D("900")
    assert next_day.day != state.day


@pytest.mark.parametrize("step_back_s", [60, 600, 3600, 2 * DAY])
def test_r3_a_clock_step_back_across_midnight_never_restarts_the_day(step_back_s):
    midnight = 1_763_683_200.0  # 2025-11-21 00:00:00 UTC
    day = limits.observe_equity(RiskState(), D("10000"), midnight + 60)
    after_loss = limits.observe_equity(day, D("9710"), midnight + 300)  # −2.9 % at 00:05
    stepped = limits.roll_day(after_loss, D("9710"), midnight + 300 - step_back_s)
    assert stepped.day == "2025-11-21" and stepped.day_start_equity == D("10000")
    daily = limits.daily_return_pct(stepped, D("9690"), midnight + 300 - step_back_s)
    assert daily == D("-3.1")  # still judged against the day's start
    breach = limits.check_loss_limits(stepped, D("9690"), POLICY, midnight + 300 - step_back_s)
    assert breach is not None and breach.breach.reason is RejectReason.DAILY_LOSS
    forward = limits.roll_day(stepped, D("9690"), midnight + 600)
    assert forward.day_start_equity == D("10000")  # the same day once the clock catches up
    tomorrow = limits.roll_day(stepped, D("9690"), midnight + DAY + 1)
    assert tomorrow.day == "2025-11-22" and tomorrow.day_start_equity == D("9690")


def test_r3_utc_day_boundary():
    midnight = 1_763_683_200.0  # 2025-11-21 00:00:00 UTC
    assert limits.utc_day(midnight - 0.001) == "2025-11-20"
    assert limits.utc_day(midnight) == "2025-11-21"


def test_r3_high_water_mark_only_rises():
    state = limits.update_high_water_mark(RiskState(), D("100"))
    assert limits.update_high_water_mark(state, D("90")).high_water_mark == D("100")
    assert limits.update_high_water_mark(state, D("110")).high_water_mark == D("110")


@pytest.mark.parametrize(
    ("equity", "reason"),
    [("9701", None), ("9700", RejectReason.DAILY_LOSS), ("9000", RejectReason.DAILY_LOSS)],
)
def test_r4_daily_loss_reduces_by_default(equity, reason):
    state = limits.observe_equity(RiskState(), D("10000"), NOW)
    transition = limits.check_loss_limits(state, D(equity), POLICY, NOW + 60)
    if reason is None:
        assert transition is None
    else:
        assert transition is not None
        assert transition.breach.reason is reason
        assert transition.target is TradingState.REDUCING  # exits keep running
        assert transition.state.halt_reason == reason.value
        assert transition.state.halted_at == NOW + 60


@pytest.mark.parametrize("reason", [RejectReason.DAILY_LOSS, RejectReason.DRAWDOWN])
def test_r4_loss_limit_action_halt_halts(reason):
    policy = PolicyConfig(loss_limit_action="halt")
    state = limits.observe_equity(RiskState(high_water_mark=D("10000")), D("10000"), NOW)
    equity = D("9600") if reason is RejectReason.DAILY_LOSS else D("8900")
    if reason is RejectReason.DRAWDOWN:
        state = replace(state, day_start_equity=D("8900"))
    transition = limits.check_loss_limits(state, equity, policy, NOW + 60)
    assert transition is not None and transition.breach.reason is reason
    assert transition.target is TradingState.HALTED


def test_r3_daily_figure_resets_on_new_day_but_reduction_persists():
    state = limits.observe_equity(RiskState(), D("10000"), NOW)
    reduced = limits.check_loss_limits(state, D("9600"), POLICY, NOW)
    assert reduced is not None
    next_day = limits.observe_equity(reduced.state, D("9600"), NOW + DAY)
    assert next_day.day_start_equity == D("9600")
    assert next_day.trading_state is TradingState.REDUCING  # only resume_trading lifts it
    assert limits.check_loss_limits(next_day, D("9000"), POLICY, NOW + DAY) is None


@pytest.mark.parametrize(("equity", "halts"), [("9000.01", False), ("9000", True), ("8000", True)])
def test_r3_drawdown_from_high_water_mark(equity, halts):
    state = RiskState(high_water_mark=D("10000"))
    transition = limits.check_loss_limits(state, D(equity), POLICY, NOW)
    assert (transition is not None) is halts
    if transition is not None:
        assert transition.breach.reason is RejectReason.DRAWDOWN


def test_r3_reset_high_water_mark_is_explicit_and_audited():
    state = RiskState(high_water_mark=D("10000"))
    new_state, audit = limits.reset_high_water_mark(state, D("8500"), NOW, "alice", "new money")
    assert new_state.high_water_mark == D("8500")
    assert (audit.action, audit.operator, audit.before, audit.after) == (
        "reset_high_water_mark",
        "alice",
        "10000",
        "8500",
    )
    assert limits.check_loss_limits(new_state, D("8500"), POLICY, NOW) is None


def test_r3_resume_trading_is_audited():
    state = limits.halt(RiskState(), "drawdown", NOW)
    assert limits.halt(state, "daily_loss", NOW + 1).halt_reason == "drawdown"
    resumed, audit = limits.resume_trading(state, NOW + 5, "bob")
    assert resumed.trading_state is TradingState.ACTIVE and resumed.halt_reason is None
    assert audit.before == "HALTED:drawdown"


def test_r3_cooldown_after_fill_and_trade_stamp():
    state = limits.after_fill(RiskState(), "BTC-USD", NOW, POLICY)
    assert state.cooldowns["BTC-USD"] == Cooldown(NOW + 900, "after_fill")
    assert state.recent_trades == (TradeStamp(NOW, "BTC-USD"),)


def test_r3_cooldown_after_stop_keeps_longer_expiry():
    state = limits.after_stop_out(RiskState(), "BTC-USD", NOW, POLICY)
    assert state.cooldowns["BTC-USD"].until == NOW + 3600
    refilled = limits.after_fill(state, "BTC-USD", NOW + 10, POLICY)
    assert refilled.cooldowns["BTC-USD"].until == NOW + 3600


def test_r3_consecutive_losses_pause_all_products():
    state = RiskState()
    for i in range(2):
        state = limits.record_trade_result(state, "BTC-USD", D("-1"), NOW + i, POLICY)
    assert state.consecutive_losses == 2 and ALL_PRODUCTS not in state.cooldowns
    state = limits.record_trade_result(state, "ETH-USD", D("-1"), NOW + 2, POLICY)
    assert state.cooldowns[ALL_PRODUCTS].until == NOW + 2 + 7200
    assert state.consecutive_losses == 0
    assert state.active_cooldown("SOL-USD", NOW + 3) is not None


def test_r3_win_resets_consecutive_losses():
    state = RiskState(consecutive_losses=2)
    assert limits.record_trade_result(state, "BTC-USD", D("0"), NOW, POLICY).consecutive_losses == 0


def test_r3_stop_out_result_starts_product_cooldown():
    state = limits.record_trade_result(
        RiskState(), "BTC-USD", D("-5"), NOW, POLICY, stopped_out=True
    )
    assert state.cooldowns["BTC-USD"].reason == "after_stop"


def test_r3_prune_cooldowns_and_trades():
    cooldowns = {"A": Cooldown(NOW, "x"), "B": Cooldown(NOW + 1, "y")}
    assert set(limits.prune_cooldowns(cooldowns, NOW)) == {"B"}
    state = RiskState(recent_trades=(TradeStamp(NOW - DAY, "A"), TradeStamp(NOW - 10, "B")))
    assert limits.prune_trades(state, NOW).recent_trades == (TradeStamp(NOW - 10, "B"),)


@given(st.floats(min_value=-2e9, max_value=4e9, allow_nan=False))
def test_r3_a_days_text_is_the_calendar_date_of_the_timestamp(now):
    """Kept texts answer exactly as converting the timestamp each time, midnight included."""
    from datetime import UTC, datetime

    expected = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%d")
    assert limits.utc_day(now) == expected
    for near in (now // 86400 * 86400 + d for d in (-1e-7, -4e-7, 0.0, 5e-7, 1e-3, 86399.9995)):
        assert limits.utc_day(near) == datetime.fromtimestamp(near, tz=UTC).strftime("%Y-%m-%d")
