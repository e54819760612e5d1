"""Taker execution: walk the market's opposite side best-first (SIM-1).

Own resting orders are never matched by an own taker order (self-trade prevention: the
walk sees only the market's liquidity). Taken size is removed from the engine's copy of the
market levels until the next book update replaces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from trader.core.products import floor_to_increment
from trader.core.types import Side
from trader.matching.book import Levels

ZERO: Final = Decimal(0)


@dataclass(frozen=True, slots=True)
class Take:
    price: Decimal
    size: Decimal

    @property
    def value(self) -> Decimal:
        return self.price * self.size


def _beyond_limit(side: Side, price: Decimal, limit: Decimal | None) -> bool:
    if limit is None:
        return False
    return price > limit if side is Side.BUY else price < limit


def plan_takes(
    levels: Levels,
    side: Side,
    *,
    base_size: Decimal | None,
    quote_budget: Decimal | None,
    limit_price: Decimal | None,
    base_increment: Decimal,
) -> list[Take]:
    """What a taker of `side` would get from `levels` (the opposite side), without changing it.

    Exactly one of `base_size` (base to trade) or `quote_budget` (quote value to spend, BUY
    only; each level's size is floored to `base_increment`) is given.
    """
    takes: list[Take] = []
    left_base = base_size
    left_quote = quote_budget
    for price in levels.best_first():
        if _beyond_limit(side, price, limit_price):
            break
        available = levels.sizes[price]
        if left_base is not None:
            size = min(available, left_base)
            left_base -= size
        else:
            assert left_quote is not None
            size = min(available, floor_to_increment(left_quote / price, base_increment))
            left_quote -= size * price
        if size <= ZERO:
            break
        takes.append(Take(price, size))
        if left_base == ZERO:
            break
    return takes


def consume(levels: Levels, takes: list[Take]) -> None:
    """Remove taken size from the market levels."""
    for take in takes:
        levels.set(take.price, levels.size_at(take.price) - take.size)


def total_value(takes: list[Take]) -> Decimal:
    return sum((t.value for t in takes), ZERO)


def total_size(takes: list[Take]) -> Decimal:
    return sum((t.size for t in takes), ZERO)
