"""Positions and PnL from fills (X-4): exact Decimal, derived, never edited by hand.

Average cost excludes fees; every fee is charged to realized PnL when paid, so
`realized_pnl` is net of all fees. A SELL beyond the held size (possible only for holdings
the daemon did not buy) realizes nothing on the excess and leaves the position at zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from trader.core.types import Side

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class FillRow:
    side: Side
    price: Decimal
    size: Decimal
    commission: Decimal
    trade_time: float


@dataclass(frozen=True, slots=True)
class PositionTotals:
    base_size: Decimal = ZERO
    average_cost: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees_paid: Decimal = ZERO
    opened_at: float | None = None


def apply_fill(position: PositionTotals, fill: FillRow) -> PositionTotals:
    realized = position.realized_pnl - fill.commission
    fees = position.fees_paid + fill.commission
    if fill.side is Side.BUY:
        size = position.base_size + fill.size
        cost = (position.average_cost * position.base_size + fill.price * fill.size) / size
        opened = position.opened_at if position.base_size > 0 else fill.trade_time
        return PositionTotals(size, cost, realized, fees, opened)
    closed = min(fill.size, position.base_size)
    realized += (fill.price - position.average_cost) * closed
    size = position.base_size - closed
    if size == 0:
        return PositionTotals(ZERO, ZERO, realized, fees, None)
    return PositionTotals(size, position.average_cost, realized, fees, position.opened_at)


def position_from_fills(fills: Iterable[FillRow]) -> PositionTotals:
    position = PositionTotals()
    for fill in fills:
        position = apply_fill(position, fill)
    return position
