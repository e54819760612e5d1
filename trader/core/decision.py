"""What strategies propose and what the risk engine decides (STR-1, R-1, R-2).

A `Proposal` asks; a `Verdict` answers with reason codes from `RejectReason` and the numbers
behind the decision; an `ExitOrder` is a due exit (stop, take-profit, trailing, max hold).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from trader.core.types import Side

ZERO = Decimal(0)


class RejectReason(StrEnum):
    """Reason codes of the risk engine (R-1, R-3); also used for resizes."""

    KILL_SWITCH = "kill_switch"
    HALTED = "halted"
    REDUCING_ONLY = "reducing_only"
    STALE_DATA = "stale_data"
    UNKNOWN_PRODUCT = "unknown_product"
    NOT_ELIGIBLE = "not_eligible"
    PRODUCT_DISABLED = "product_disabled"
    OUTLIER = "outlier"
    SPREAD_TOO_WIDE = "spread_too_wide"
    SHORTING_DISALLOWED = "shorting_disallowed"
    MIN_NOTIONAL = "min_notional"
    POSITION_CAP = "position_cap"
    TOTAL_EXPOSURE_CAP = "total_exposure_cap"
    CLUSTER_CAP = "cluster_cap"
    TIER_CAP = "tier_cap"
    MAX_OPEN_POSITIONS = "max_open_positions"
    TRADE_RATE = "trade_rate"
    SPACING = "spacing"
    COOLDOWN = "cooldown"
    STRATEGY_BUDGET = "strategy_budget"
    DAILY_LOSS = "daily_loss"
    DRAWDOWN = "drawdown"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    SIZE_BELOW_MINIMUM = "size_below_minimum"
    SIZE_ABOVE_MAXIMUM = "size_above_maximum"
    INVALID_PROPOSAL = "invalid_proposal"
    NO_EQUITY = "no_equity"
    BALANCES_UNKNOWN = "balances_unknown"
    TARGET_BELOW_COST = "target_below_cost"


class VerdictAction(StrEnum):
    APPROVE = "approve"
    RESIZE = "resize"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Proposal:
    """A strategy's request (STR-1). Size by `size_pct` of equity and/or `quote_notional`
    (the smaller wins when both are set); a SELL may give `base_size` instead.
    `max_hold_s` is seconds; `stop_loss_pct`/`take_profit_pct` are percent from entry.
    `tag` names the kind of entry (the backtest reports results per tag; without one, the
    trigger kinds behind it, else the strategy id).
    """

    product_id: str
    side: Side
    strategy_id: str
    conviction: float
    reason: str
    size_pct: Decimal | None = None
    quote_notional: Decimal | None = None
    base_size: Decimal | None = None
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    max_hold_s: float | None = None
    trigger_refs: tuple[str, ...] = ()
    tag: str = ""

    def sizing_problem(self) -> str | None:
        """Why the proposal's sizing is unusable, or None."""
        sizes = (self.size_pct, self.quote_notional, self.base_size)
        if all(s is None for s in sizes):
            return "no size given"
        if any(s is not None and s <= 0 for s in sizes):
            return "sizes must be positive"
        if self.size_pct is not None and self.size_pct > 100:
            return "size_pct above 100"
        if self.side is Side.BUY and self.base_size is not None:
            return "BUY proposals are sized in quote (size_pct or quote_notional)"
        return None

    @property
    def key(self) -> str:
        """Stable identifier used to join the audit trail (strategy/product/side)."""
        return f"{self.strategy_id}/{self.product_id}/{self.side}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The risk engine's answer to one proposal (R-1).

    `base_size`/`notional` are what may be sent (zero when rejected), already quantized
    down to the product's `base_increment`. `details` holds the numbers behind the decision
    (equity, price, requested and allowed notional, each cap's headroom...).
    """

    proposal: Proposal
    action: VerdictAction
    reasons: tuple[RejectReason, ...] = ()
    base_size: Decimal = ZERO
    notional: Decimal = ZERO
    price: Decimal | None = None
    details: Mapping[str, Decimal] = field(default_factory=dict)
    note: str = ""

    @property
    def approved(self) -> bool:
        return self.action is not VerdictAction.REJECT


class ExitReason(StrEnum):
    STOP_LOSS = "stop_loss"
    TRAILING_STOP = "trailing_stop"
    TAKE_PROFIT = "take_profit"
    MAX_HOLD = "max_hold"


@dataclass(frozen=True, slots=True)
class ExitOrder:
    """A due exit of a held position (R-2): always a SELL of `base_size`.

    `threshold` is the price (or the hold deadline, for max hold) that was crossed;
    `price` is the observed price (None when unknown, for a max-hold exit).
    """

    product_id: str
    base_size: Decimal
    reason: ExitReason
    price: Decimal | None
    threshold: Decimal
    strategy_id: str = ""
    side: Side = Side.SELL


@dataclass(frozen=True, slots=True)
class MalformedProposal(Proposal):
    """What stands in for a proposal a strategy got wrong (a float size, a NaN, a side that
    is not a `Side`...): its fields made safe to read and record, `problem` saying what was
    wrong. The risk engine refuses it (INVALID_PROPOSAL) with `problem` as its note."""

    problem: str = ""
