"""Gate checks of the risk engine (R-1, R-3): each a small named function.

A check returns a `Refusal` (reason code + the numbers, as text) or None. Entry-only checks
never run for exits (R-2); the engine decides which apply to which side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from trader.config.policy import PolicyConfig
from trader.core.decision import Proposal, RejectReason
from trader.core.market import MarketSnapshot, ProductMarket
from trader.core.products import status_problem
from trader.core.risk_state import RiskState, TradeStamp
from trader.core.types import FeeRates, Side, TradingState
from trader.risk.fees import Liquidity, rate_for
from trader.risk.limits import loss_limit_breach
from trader.risk.validity import proposal_problem

HOUR_SECONDS: Final = 3600.0
DAY_SECONDS: Final = 86400.0
MIN_SIGMA: Final = 1e-4
OUTLIER_MARGIN: Final = 1e-9
"""Floor of the 1-minute sigma in the outlier check, so a near-flat series (a stablecoin,
a quiet night) does not turn every tick into an outlier."""


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: RejectReason
    note: str


def check_proposal_valid(proposal: Proposal) -> Refusal | None:
    """A malformed proposal (wrong types, NaN, out of range, `risk/validity.py`) refuses."""
    problem = proposal_problem(proposal)
    return None if problem is None else Refusal(RejectReason.INVALID_PROPOSAL, problem)


def check_trading_state(state: RiskState, side: Side) -> Refusal | None:
    """HALTED refuses everything (kill switch has its own code); REDUCING refuses BUYs."""
    if state.trading_state is TradingState.HALTED:
        if state.halt_reason == RejectReason.KILL_SWITCH.value:
            return Refusal(RejectReason.KILL_SWITCH, "kill switch engaged")
        return Refusal(RejectReason.HALTED, f"halted: {state.halt_reason}")
    if state.trading_state is TradingState.REDUCING and side is Side.BUY:
        return Refusal(RejectReason.REDUCING_ONLY, "reducing: exits only")
    return None


def check_product_known(market: MarketSnapshot, product_id: str) -> Refusal | None:
    if market.get(product_id) is None:
        return Refusal(RejectReason.UNKNOWN_PRODUCT, "not in market snapshot")
    return None


def check_product_enabled(product: ProductMarket) -> Refusal | None:
    """Status flags (EX-4) for a post-only limit order (the maker-first entry, X-2)."""
    problem = status_problem(product.rules, is_market=False, post_only=True)
    return None if problem is None else Refusal(RejectReason.PRODUCT_DISABLED, problem)


def check_fresh(product: ProductMarket, now: float, policy: PolicyConfig) -> Refusal | None:
    """A quote must exist and be younger than `max_data_age_s` (age == max is still fresh)."""
    if product.quote is None:
        return Refusal(RejectReason.STALE_DATA, "no quote")
    age = max(product.age(now), now - product.quote.time)
    if age > policy.max_data_age_s:
        return Refusal(RejectReason.STALE_DATA, f"data age {age:.1f}s > {policy.max_data_age_s}")
    if product.quote.bid <= 0 or product.quote.ask < product.quote.bid:
        return Refusal(RejectReason.STALE_DATA, "crossed or empty book")
    return None


def check_eligible(market: MarketSnapshot, product_id: str) -> Refusal | None:
    if product_id not in market.tiers:
        return Refusal(RejectReason.NOT_ELIGIBLE, "not in the universe")
    return None


def check_spread(product: ProductMarket, policy: PolicyConfig) -> Refusal | None:
    """Spread above `max_spread_bps` refuses (equal is allowed)."""
    if product.quote is None:
        return Refusal(RejectReason.STALE_DATA, "no quote")
    spread = product.quote.spread_bps
    if spread > policy.max_spread_bps:
        note = f"spread {spread:.2f}bps > {policy.max_spread_bps}"
        return Refusal(RejectReason.SPREAD_TOO_WIDE, note)
    return None


def check_target_covers_cost(
    proposal: Proposal,
    product: ProductMarket,
    rates: FeeRates,
    entry_liquidity: Liquidity,
    policy: PolicyConfig,
) -> Refusal | None:
    """An entry whose take-profit does not cover `min_target_cost_multiple` times its round
    trip cost (entry fee + taker exit fee + spread, in percent) refuses; no target: passes."""
    multiple = policy.min_target_cost_multiple
    if proposal.take_profit_pct is None or multiple <= 0 or product.quote is None:
        return None
    fees = (rate_for(rates, entry_liquidity) + rates.taker) * 100
    cost = fees + product.quote.spread_bps / 100
    if proposal.take_profit_pct < multiple * cost:
        note = f"take-profit {proposal.take_profit_pct}% < {multiple} x round trip {cost:.4f}%"
        return Refusal(RejectReason.TARGET_BELOW_COST, note)
    return None


def check_outlier(product: ProductMarket, policy: PolicyConfig) -> Refusal | None:
    """|ln(mid / last close)| above k * max(sigma, 1e-4) refuses; missing inputs refuse."""
    if product.quote is None or product.last_close is None or product.sigma is None:
        return Refusal(RejectReason.OUTLIER, "cannot verify: no quote, last close or sigma")
    mid, close = product.quote.mid, product.last_close
    if mid <= 0 or close <= 0:
        return Refusal(RejectReason.OUTLIER, "non-positive price")
    limit = outlier_band(product.sigma, policy)
    deviation = beyond_band(mid, close, limit)
    if deviation is not None:
        note = f"mid {mid} vs close {close}: {deviation:.5f} > {limit:.5f}"
        return Refusal(RejectReason.OUTLIER, note)
    return None


def outlier_band(sigma: float, policy: PolicyConfig) -> float:
    """The widest |ln(price / last close)| a price may be from the last close before it is
    an outlier: `outlier_sigma_k` 1-minute sigmas (floored at `MIN_SIGMA`)."""
    return policy.outlier_sigma_k * max(sigma, MIN_SIGMA)


def beyond_band(price: Decimal, close: Decimal, limit: float) -> Decimal | None:
    """|ln(`price` / `close`)| when it is above `limit` (both prices above zero), else None."""
    if _clearly_within(price, close, limit):
        return None
    deviation = abs((price / close).ln())  # exact Decimal; compared exactly with the float limit
    return deviation if deviation > limit else None


def _clearly_within(mid: Decimal, close: Decimal, limit: float) -> bool:
    """|ln(mid / close)| is below `limit` by more than float arithmetic can be off (its
    estimate here is within about 1e-15 of the exact value; the margin is 1e-9): the
    usual case, decided without the exact Decimal logarithm (about 5 µs). Anything
    closer, or out of float's range, is left to the exact comparison."""
    ratio = float(mid) / float(close)  # a band test, not money: near it Decimal decides
    if not 0.0 < ratio < math.inf:
        return False
    return abs(math.log(ratio)) < limit - OUTLIER_MARGIN * (1.0 + abs(limit))


def check_loss_limits(
    state: RiskState, equity: Decimal, policy: PolicyConfig, now: float
) -> Refusal | None:
    """Entries stop as soon as a loss limit is reached, even before the halt is persisted."""
    breach = loss_limit_breach(state, equity, policy, now)
    if breach is None:
        return None
    return Refusal(breach.reason, f"{breach.value_pct:.4f}% vs limit {breach.limit_pct}%")


def check_cooldown(state: RiskState, product_id: str, now: float) -> Refusal | None:
    cooldown = state.active_cooldown(product_id, now)
    if cooldown is None:
        return None
    return Refusal(RejectReason.COOLDOWN, f"{cooldown.reason} until {cooldown.until}")


def _count_since(trades: tuple[TradeStamp, ...], now: float, window: float) -> int:
    return sum(1 for t in trades if now - t.time < window)


def check_trade_rate(
    trades: tuple[TradeStamp, ...], now: float, policy: PolicyConfig
) -> Refusal | None:
    """Entries in the last hour / 24 h (a trade exactly `window` ago no longer counts)."""
    hourly = _count_since(trades, now, HOUR_SECONDS)
    if hourly >= policy.max_trades_per_hour:
        return Refusal(RejectReason.TRADE_RATE, f"{hourly} trades in 1h")
    daily = _count_since(trades, now, DAY_SECONDS)
    if daily >= policy.max_trades_per_day:
        return Refusal(RejectReason.TRADE_RATE, f"{daily} trades in 24h")
    return None


def check_spacing(
    trades: tuple[TradeStamp, ...], product_id: str, now: float, policy: PolicyConfig
) -> Refusal | None:
    """Seconds since the last entry in this product must be >= `min_seconds_between_trades`."""
    times = [t.time for t in trades if t.product_id == product_id]
    if not times:
        return None
    elapsed = now - max(times)
    if elapsed < policy.min_seconds_between_trades:
        note = f"{elapsed:.0f}s since last trade < {policy.min_seconds_between_trades}"
        return Refusal(RejectReason.SPACING, note)
    return None


def check_open_positions(
    open_products: set[str], product_id: str, policy: PolicyConfig
) -> Refusal | None:
    """A new product needs a free slot; adding to a held product does not."""
    if product_id in open_products:
        return None
    if len(open_products) >= policy.max_open_positions:
        note = f"{len(open_products)} open >= {policy.max_open_positions}"
        return Refusal(RejectReason.MAX_OPEN_POSITIONS, note)
    return None
