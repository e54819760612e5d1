"""Positions and PnL from fills (X-4): exact Decimal, derived, never edited by hand.

Average cost excludes fees; every fee is charged to realized PnL when paid, so
`realized_pnl` is net of all fees. A SELL beyond the held size (possible only for holdings
the daemon did not buy) realizes nothing on the excess and leaves the position at zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final

from trader.core.types import Side
from trader.core.values import write_once

ZERO: Final = Decimal(0)


@dataclass(frozen=True, slots=True, init=False)
class FillRow:
    """Read-only (`core/values.py`)."""

    side: Side
    price: Decimal
    size: Decimal
    commission: Decimal
    trade_time: float

    def __init__(
        self, side: Side, price: Decimal, size: Decimal, commission: Decimal, trade_time: float
    ) -> None:
        self.side = side  # type: ignore[misc]
        self.price = price  # type: ignore[misc]
        self.size = size  # type: ignore[misc]
        self.commission = commission  # type: ignore[misc]
        self.trade_time = trade_time  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class PositionTotals:
    """`realized_at_open` is the realized PnL just before the current round trip opened, so
    a round trip's result (R-3 loss counting) is `realized_pnl - realized_at_open` at close."""

    base_size: Decimal = ZERO
    average_cost: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees_paid: Decimal = ZERO
    opened_at: float | None = None
    realized_at_open: Decimal = ZERO
    last_close_pnl: Decimal | None = None
    last_closed_at: float | None = None


def apply_fill(position: PositionTotals, fill: FillRow) -> PositionTotals:
    realized = position.realized_pnl - fill.commission
    fees = position.fees_paid + fill.commission
    if fill.side is Side.BUY:
        size = position.base_size + fill.size
        cost = (position.average_cost * position.base_size + fill.price * fill.size) / size
        opening = position.base_size == 0
        return replace(
            position,
            base_size=size,
            average_cost=cost,
            realized_pnl=realized,
            fees_paid=fees,
            opened_at=fill.trade_time if opening else position.opened_at,
            realized_at_open=position.realized_pnl if opening else position.realized_at_open,
        )
    closed = min(fill.size, position.base_size)
    realized += (fill.price - position.average_cost) * closed
    size = position.base_size - closed
    if size == 0:
        return replace(
            position,
            base_size=ZERO,
            average_cost=ZERO,
            realized_pnl=realized,
            fees_paid=fees,
            opened_at=None,
            last_close_pnl=realized - position.realized_at_open,
            last_closed_at=fill.trade_time,
        )
    return replace(position, base_size=size, realized_pnl=realized, fees_paid=fees)


def position_from_fills(fills: Iterable[FillRow]) -> PositionTotals:
    position = PositionTotals()
    for fill in fills:
        position = apply_fill(position, fill)
    return position


write_once(FillRow)
