"""Loss limits and cooldowns (R-3), as pure functions over `RiskState`.

Reset rules (each counter has one, and a test):
- `day` / `day_start_equity`: at the first equity observation of a later UTC day
  (`roll_day`), the day becomes today and day-start equity the observed equity. The day
  only moves forward: a clock stepped back across midnight never starts a day again (the
  loss since the day's start is still judged against it).
- `high_water_mark`: only ever raised by observations (`update_high_water_mark`); lowered
  only by the operator through `reset_high_water_mark`, which returns an audit record.
- A loss limit (daily_loss, drawdown) moves trading to REDUCING by default — no entries,
  protective exits keep running — or to HALTED with `loss_limit_action: halt` (R-4).
  Neither is lifted automatically, not even by a day rollover: `resume_trading` (operator)
  lifts it, with an audit record. The kill switch is always HALTED.
- `cooldowns`: each expires at its `until` (`prune_cooldowns` drops expired ones); a newer
  cooldown on the same key keeps the later expiry.
- `consecutive_losses`: reset to 0 by a winning (or break-even) trade, and when it reaches
  the limit (which starts the global cooldown).
- `recent_trades`: stamps older than 24 h are dropped by `prune_trades`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from trader.config.policy import PolicyConfig
from trader.core.decision import RejectReason
from trader.core.risk_state import ALL_PRODUCTS, Cooldown, RiskState, TradeStamp
from trader.core.types import TradingState

HUNDRED: Final = Decimal(100)
DAY_SECONDS: Final = 86400.0


_DAY_TEXTS: Final[dict[int, str]] = {}  # whole UTC days since the epoch -> their date


def utc_day(now: float) -> str:
    """The UTC calendar date of `now`, as `YYYY-MM-DD`. Asked at every decision step: a
    day's text is kept, away from midnight (within a millisecond of it the timestamp's
    own rounding decides, so it is converted each time)."""
    if math.isfinite(now):
        days, into = divmod(now, DAY_SECONDS)
        if 0.001 < into < DAY_SECONDS - 0.001:
            key = int(days)
            text = _DAY_TEXTS.get(key)
            if text is None:
                if len(_DAY_TEXTS) >= 1024:
                    _DAY_TEXTS.clear()
                text = _DAY_TEXTS[key] = _date_text(now)
            return text
    return _date_text(now)


def _date_text(now: float) -> str:
    return datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%d")


def roll_day(state: RiskState, equity: Decimal, now: float) -> RiskState:
    """Start a new UTC day at its first observation; unchanged within the same day, and
    unchanged when `now` falls on an earlier day than the one started (a clock step back:
    `YYYY-MM-DD` orders as text)."""
    today = utc_day(now)
    started = state.day is not None and state.day_start_equity is not None
    if started and today <= str(state.day):
        return state
    return replace(state, day=today, day_start_equity=equity)


def update_high_water_mark(state: RiskState, equity: Decimal) -> RiskState:
    """Raise the high-water mark to `equity` when higher (never lowers it)."""
    if state.high_water_mark is not None and state.high_water_mark >= equity:
        return state
    return replace(state, high_water_mark=equity)


def observe_equity(state: RiskState, equity: Decimal, now: float) -> RiskState:
    """Roll the day and update the high-water mark for one equity observation."""
    return update_high_water_mark(roll_day(state, equity, now), equity)


def daily_return_pct(state: RiskState, equity: Decimal, now: float) -> Decimal | None:
    """Percent change vs start-of-day equity; None when today's start is not known."""
    start = state.day_start_equity
    if start is None or start <= 0 or state.day is None or utc_day(now) > state.day:
        return None
    return (equity / start - 1) * HUNDRED


def drawdown_pct(state: RiskState, equity: Decimal) -> Decimal | None:
    """Percent below the high-water mark (0 at or above it); None without a mark."""
    mark = state.high_water_mark
    if mark is None or mark <= 0:
        return None
    return max(Decimal(0), (1 - equity / mark) * HUNDRED)


@dataclass(frozen=True, slots=True)
class LossBreach:
    """A loss limit reached: `value_pct` against `limit_pct` (both percent)."""

    reason: RejectReason
    value_pct: Decimal
    limit_pct: Decimal


def loss_limit_breach(
    state: RiskState, equity: Decimal, policy: PolicyConfig, now: float
) -> LossBreach | None:
    """Daily loss at or below the limit, or drawdown at or above the max (R-3)."""
    daily = daily_return_pct(state, equity, now)
    if daily is not None and daily <= policy.daily_loss_limit_pct:
        return LossBreach(RejectReason.DAILY_LOSS, daily, policy.daily_loss_limit_pct)
    drawdown = drawdown_pct(update_high_water_mark(state, equity), equity)
    if drawdown is not None and drawdown >= policy.max_drawdown_pct:
        return LossBreach(RejectReason.DRAWDOWN, drawdown, policy.max_drawdown_pct)
    return None


@dataclass(frozen=True, slots=True)
class HaltTransition:
    """The state after a loss limit — REDUCING or HALTED (`state.trading_state`) — and why
    (the daemon persists and logs it)."""

    state: RiskState
    breach: LossBreach

    @property
    def target(self) -> TradingState:
        return self.state.trading_state


def halt(state: RiskState, reason: str, now: float) -> RiskState:
    """Enter HALTED with `reason` (OPS-4); an existing halt keeps its first reason and time."""
    if state.trading_state is TradingState.HALTED:
        return state
    return replace(state, trading_state=TradingState.HALTED, halt_reason=reason, halted_at=now)


def reduce(state: RiskState, reason: str, now: float) -> RiskState:
    """Enter REDUCING with `reason` (R-4): no entries, exits keep running."""
    return replace(state, trading_state=TradingState.REDUCING, halt_reason=reason, halted_at=now)


def check_loss_limits(
    state: RiskState, equity: Decimal, policy: PolicyConfig, now: float
) -> HaltTransition | None:
    """The transition a loss limit asks for (REDUCING, or HALTED with
    `loss_limit_action: halt`), or None — also when trading is already not ACTIVE."""
    if state.trading_state is not TradingState.ACTIVE:
        return None
    observed = observe_equity(state, equity, now)
    breach = loss_limit_breach(observed, equity, policy, now)
    if breach is None:
        return None
    enter = halt if policy.loss_limit_action == "halt" else reduce
    return HaltTransition(enter(observed, breach.reason.value, now), breach)


class QuietLimits:
    """The last judgement of the loss limits that found none and kept its risk state. The
    same state object (immutable), an equal equity, the same policy object and the same UTC
    day (the only way the time enters the limits) would find the same: the pipeline does
    not judge them again (most steps of a quiet market)."""

    __slots__ = ("_kept",)

    def __init__(self) -> None:
        self._kept: tuple[RiskState, Decimal, PolicyConfig, str] | None = None

    def same(self, state: RiskState, equity: Decimal, policy: PolicyConfig, now: float) -> bool:
        """Whether a judgement now would be the one noted."""
        kept = self._kept
        return (
            kept is not None
            and kept[0] is state
            and kept[2] is policy
            and kept[1] == equity
            and kept[3] == utc_day(now)
        )

    def note(self, state: RiskState, equity: Decimal, policy: PolicyConfig, now: float) -> None:
        """A judgement that found no limit and kept `state`."""
        self._kept = (state, equity, policy, utc_day(now))


@dataclass(frozen=True, slots=True)
class OperatorAudit:
    """What an operator action changed, for the audit trail (OPS-6)."""

    action: str
    operator: str
    at: float
    before: str
    after: str
    note: str = ""


def reset_high_water_mark(
    state: RiskState, equity: Decimal, now: float, operator: str, note: str = ""
) -> tuple[RiskState, OperatorAudit]:
    """Operator-only: set the high-water mark to current equity (clears a drawdown halt's
    cause, not the halt itself)."""
    audit = OperatorAudit(
        "reset_high_water_mark", operator, now, str(state.high_water_mark), str(equity), note
    )
    return replace(state, high_water_mark=equity), audit


def resume_trading(
    state: RiskState, now: float, operator: str, note: str = ""
) -> tuple[RiskState, OperatorAudit]:
    """Operator-only: back to ACTIVE from REDUCING or HALTED (OPS-4 `trader resume`)."""
    before = f"{state.trading_state}:{state.halt_reason}"
    resumed = replace(state, trading_state=TradingState.ACTIVE, halt_reason=None, halted_at=None)
    return resumed, OperatorAudit("resume", operator, now, before, "ACTIVE", note)


def prune_cooldowns(cooldowns: Mapping[str, Cooldown], now: float) -> dict[str, Cooldown]:
    """Cooldowns still active at `now` (`now < until`)."""
    return {key: c for key, c in cooldowns.items() if now < c.until}


def start_cooldown(
    cooldowns: Mapping[str, Cooldown], key: str, until: float, reason: str
) -> dict[str, Cooldown]:
    """Add a cooldown; an existing longer one on the same key is kept."""
    updated = dict(cooldowns)
    existing = updated.get(key)
    if existing is None or existing.until < until:
        updated[key] = Cooldown(until=until, reason=reason)
    return updated


def prune_trades(state: RiskState, now: float) -> RiskState:
    """Drop trade stamps older than 24 h (they no longer count for any rate limit)."""
    kept = tuple(t for t in state.recent_trades if now - t.time < DAY_SECONDS)
    return state if len(kept) == len(state.recent_trades) else replace(state, recent_trades=kept)


def after_fill(state: RiskState, product_id: str, now: float, policy: PolicyConfig) -> RiskState:
    """An entry (BUY) filled: stamp it for the trade-rate and spacing checks and cool the
    product down for `cooldown_after_fill_s`. Exit fills go through `record_trade_result`."""
    cooldowns = start_cooldown(
        state.cooldowns, product_id, now + policy.cooldown_after_fill_s, "after_fill"
    )
    trades = (*state.recent_trades, TradeStamp(now, product_id))
    return replace(state, cooldowns=cooldowns, recent_trades=trades)


def after_stop_out(
    state: RiskState, product_id: str, now: float, policy: PolicyConfig
) -> RiskState:
    """A stop-loss exit filled: cool the product down for `cooldown_after_stop_s`."""
    cooldowns = start_cooldown(
        state.cooldowns, product_id, now + policy.cooldown_after_stop_s, "after_stop"
    )
    return replace(state, cooldowns=cooldowns)


def record_trade_result(
    state: RiskState,
    product_id: str,
    realized_pnl: Decimal,
    now: float,
    policy: PolicyConfig,
    *,
    stopped_out: bool = False,
) -> RiskState:
    """A position closed: count consecutive losses; N in a row pause every product."""
    updated = after_stop_out(state, product_id, now, policy) if stopped_out else state
    if realized_pnl >= 0:
        return replace(updated, consecutive_losses=0)
    losses = updated.consecutive_losses + 1
    if losses < policy.consecutive_losses_limit:
        return replace(updated, consecutive_losses=losses)
    cooldowns = start_cooldown(
        updated.cooldowns,
        ALL_PRODUCTS,
        now + policy.cooldown_after_losses_s,
        f"after_{losses}_consecutive_losses",
    )
    return replace(updated, cooldowns=cooldowns, consecutive_losses=0)
