"""Fees (X-3): the one fee function used by sizing, min-notional checks, execution and PnL."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from trader.config.policy import PolicyConfig
from trader.core.types import FeeRates


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


def rate_for(rates: FeeRates, liquidity: Liquidity) -> Decimal:
    return rates.maker if liquidity is Liquidity.MAKER else rates.taker


def fee_for(notional: Decimal, rates: FeeRates, liquidity: Liquidity) -> Decimal:
    """Fee in quote currency on a fill of `notional` (exact Decimal, not rounded)."""
    return abs(notional) * rate_for(rates, liquidity)


def fallback_rates(policy: PolicyConfig) -> FeeRates:
    """The configured fallback when `transaction_summary` is unavailable (X-3)."""
    return FeeRates(maker=policy.fee_fallback_maker, taker=policy.fee_fallback_taker)


def net_of_fee(notional: Decimal, rates: FeeRates, liquidity: Liquidity) -> Decimal:
    """What remains of `notional` after its fee (used by the fee-aware min-notional check)."""
    return notional - fee_for(notional, rates, liquidity)
