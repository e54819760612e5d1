"""Persisted risk counters (R-3, OPS-4): trading state, halt, high-water mark, day, cooldowns.

The decision core never mutates a RiskState; `trader.risk.limits` returns new ones and the
daemon persists them. Every counter has a documented reset rule there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from trader.core.types import TradingState
from trader.core.values import write_once

ALL_PRODUCTS: Final = "*"
"""Cooldown key that pauses entries in every product (after N consecutive losses)."""


@dataclass(frozen=True, slots=True, init=False)
class Cooldown:
    """Entries in a product are refused while `now < until`. Read-only (`core/values.py`)."""

    until: float
    reason: str

    def __init__(self, until: float, reason: str) -> None:
        self.until = until  # type: ignore[misc]
        self.reason = reason  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class TradeStamp:
    """One executed entry, for trade-rate and spacing checks. Read-only (`core/values.py`)."""

    time: float
    product_id: str

    def __init__(self, time: float, product_id: str) -> None:
        self.time = time  # type: ignore[misc]
        self.product_id = product_id  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class RiskState:
    """Risk counters carried from cycle to cycle (and across restarts). Read-only
    (`core/values.py`)."""

    trading_state: TradingState
    halt_reason: str | None
    halted_at: float | None
    high_water_mark: Decimal | None
    day_start_equity: Decimal | None
    day: str | None
    cooldowns: Mapping[str, Cooldown]
    consecutive_losses: int
    recent_trades: tuple[TradeStamp, ...]

    def __init__(
        self,
        trading_state: TradingState = TradingState.ACTIVE,
        halt_reason: str | None = None,
        halted_at: float | None = None,
        high_water_mark: Decimal | None = None,
        day_start_equity: Decimal | None = None,
        day: str | None = None,
        cooldowns: Mapping[str, Cooldown] | None = None,
        consecutive_losses: int = 0,
        recent_trades: tuple[TradeStamp, ...] = (),
    ) -> None:
        self.trading_state = trading_state  # type: ignore[misc]
        self.halt_reason = halt_reason  # type: ignore[misc]
        self.halted_at = halted_at  # type: ignore[misc]
        self.high_water_mark = high_water_mark  # type: ignore[misc]
        self.day_start_equity = day_start_equity  # type: ignore[misc]
        self.day = day  # type: ignore[misc]
        self.cooldowns = {} if cooldowns is None else cooldowns  # type: ignore[misc]
        self.consecutive_losses = consecutive_losses  # type: ignore[misc]
        self.recent_trades = recent_trades  # type: ignore[misc]

    def active_cooldown(self, product_id: str, now: float) -> Cooldown | None:
        """The cooldown blocking `product_id` at `now` (product or global), if any."""
        for key in (product_id, ALL_PRODUCTS):
            cooldown = self.cooldowns.get(key)
            if cooldown is not None and now < cooldown.until:
                return cooldown
        return None


write_once(Cooldown, TradeStamp, RiskState)
