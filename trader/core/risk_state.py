"""Persisted risk counters (R-3, OPS-4): trading state, halt, high-water mark, day, cooldowns.

The decision core never mutates a RiskState; `trader.risk.limits` returns new ones and the
daemon persists them. Every counter has a documented reset rule there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from trader.core.types import TradingState

ALL_PRODUCTS = "*"
"""Cooldown key that pauses entries in every product (after N consecutive losses)."""


@dataclass(frozen=True, slots=True)
class Cooldown:
    """Entries in a product are refused while `now < until`."""

    until: float
    reason: str


@dataclass(frozen=True, slots=True)
class TradeStamp:
    """One executed entry, for trade-rate and spacing checks."""

    time: float
    product_id: str


@dataclass(frozen=True, slots=True)
class RiskState:
    """Risk counters carried from cycle to cycle (and across restarts)."""

    trading_state: TradingState = TradingState.ACTIVE
    halt_reason: str | None = None
    halted_at: float | None = None
    high_water_mark: Decimal | None = None
    day_start_equity: Decimal | None = None
    day: str | None = None
    cooldowns: Mapping[str, Cooldown] = field(default_factory=dict)
    consecutive_losses: int = 0
    recent_trades: tuple[TradeStamp, ...] = ()

    def active_cooldown(self, product_id: str, now: float) -> Cooldown | None:
        """The cooldown blocking `product_id` at `now` (product or global), if any."""
        for key in (product_id, ALL_PRODUCTS):
            cooldown = self.cooldowns.get(key)
            if cooldown is not None and now < cooldown.until:
                return cooldown
        return None
