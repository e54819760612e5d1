"""Cap headrooms and quantized sizing (R-1, X-3, EX-4).

Every cap is turned into a headroom in quote notional; the allowed notional is the smallest
of the request and every headroom. The base size is floored to `base_increment` and then
stepped down while `size * price` exceeds the allowed notional, so a resize never rounds up
past a cap. A result below the venue minimum or the fee-aware min notional is a rejection.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from trader.core.decision import Proposal, RejectReason
from trader.core.market import MarketSnapshot
from trader.core.products import quantize_size
from trader.core.types import ProductRules
from trader.risk.config import RiskConfig
from trader.risk.fees import net_of_fee, rate_for
from trader.risk.ledger import ExposureLedger

ZERO: Final = Decimal(0)
HUNDRED: Final = Decimal(100)


def _pct_of(equity: Decimal, pct: Decimal, multiplier: Decimal) -> Decimal:
    return equity * pct * multiplier / HUNDRED


def cap_headrooms(
    proposal: Proposal,
    ledger: ExposureLedger,
    market: MarketSnapshot,
    config: RiskConfig,
    clusters: tuple[str, ...],
) -> dict[RejectReason, Decimal]:
    """Remaining quote notional under each cap for a BUY (negative = already over)."""
    policy, equity = config.policy, ledger.equity
    multiplier = policy.regime_multiplier(market.regime)
    pid = proposal.product_id
    headrooms = {
        RejectReason.POSITION_CAP: _pct_of(equity, policy.max_position_pct, multiplier)
        - ledger.product(pid),
        RejectReason.TOTAL_EXPOSURE_CAP: _pct_of(equity, policy.max_total_exposure_pct, multiplier)
        - ledger.total(),
    }
    cluster_room = [
        _pct_of(equity, config.universe.clusters[name].max_exposure_pct, multiplier)
        - ledger.group(ledger.in_cluster(name))
        for name in clusters
    ]
    if cluster_room:
        headrooms[RejectReason.CLUSTER_CAP] = min(cluster_room)
    tier = market.tiers.get(pid)
    tier_config = config.universe.tiers.get(tier) if tier is not None else None
    if tier_config is not None:
        members = [p for p, t in market.tiers.items() if t == tier]
        headrooms[RejectReason.TIER_CAP] = _pct_of(
            equity, tier_config.allocation_cap_pct, multiplier
        ) - ledger.group(members)
    headrooms[RejectReason.STRATEGY_BUDGET] = _budget_headroom(proposal, ledger, config, multiplier)
    headrooms[RejectReason.INSUFFICIENT_FUNDS] = _cash_headroom(ledger, config)
    return headrooms


def _budget_headroom(
    proposal: Proposal, ledger: ExposureLedger, config: RiskConfig, multiplier: Decimal
) -> Decimal:
    budget_pct = config.strategy_budgets.get(proposal.strategy_id, ZERO)
    room = _pct_of(ledger.equity, budget_pct, multiplier) - ledger.strategy_at_risk(
        proposal.strategy_id
    )
    stop = proposal.stop_loss_pct
    return room if stop is None else room * HUNDRED / stop


def _cash_headroom(ledger: ExposureLedger, config: RiskConfig) -> Decimal:
    reserve = ledger.equity * config.policy.min_cash_reserve_pct / HUNDRED
    fee_rate = rate_for(config.rates, config.sizing_liquidity)
    return (ledger.cash_available - reserve) / (1 + fee_rate)


def requested_notional(proposal: Proposal, equity: Decimal, price: Decimal) -> Decimal:
    """What the proposal asks for in quote: the smaller of its size forms."""
    asks: list[Decimal] = []
    if proposal.size_pct is not None:
        asks.append(equity * proposal.size_pct / HUNDRED)
    if proposal.quote_notional is not None:
        asks.append(proposal.quote_notional)
    if proposal.base_size is not None:
        asks.append(proposal.base_size * price)
    return min(asks)


def floor_size(notional_limit: Decimal, price: Decimal, rules: ProductRules) -> Decimal:
    """Largest base size on the grid with `size * price <= notional_limit` (>= 0)."""
    if notional_limit <= 0 or price <= 0:
        return ZERO
    size = quantize_size(notional_limit / price, rules)
    while size > 0 and size * price > notional_limit:
        size -= rules.base_increment
    return max(size, ZERO)


@dataclass(frozen=True, slots=True)
class SizeResult:
    """A sized order, or the reason it cannot be sized (`refusal`)."""

    base_size: Decimal
    notional: Decimal
    refusal: RejectReason | None
    note: str = ""
    capped_by_max: bool = False


def size_order(
    allowed_notional: Decimal, price: Decimal, rules: ProductRules, config: RiskConfig
) -> SizeResult:
    """Quantize down, clamp to the venue maximums, then check the minimums (fee-aware)."""
    limit = min(allowed_notional, rules.quote_max_size)
    size = floor_size(limit, price, rules)
    capped = limit < allowed_notional
    if size > rules.base_max_size:
        size, capped = quantize_size(rules.base_max_size, rules), True
    notional = size * price
    if size <= 0 or size < rules.base_min_size:
        note = f"size {size} < base_min_size {rules.base_min_size}"
        return SizeResult(size, notional, RejectReason.SIZE_BELOW_MINIMUM, note, capped)
    minimum = max(config.policy.min_notional, rules.quote_min_size)
    net = net_of_fee(notional, config.rates, config.sizing_liquidity)
    if net < minimum:
        note = f"notional {notional} (net of fee {net}) < {minimum}"
        return SizeResult(size, notional, RejectReason.MIN_NOTIONAL, note, capped)
    return SizeResult(size, notional, None, "", capped)
