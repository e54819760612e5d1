"""Portfolio view used by strategies, risk and exits (R-1, R-2). Decimal money throughout.

`cash` holds total balances per currency (available + on hold). Open orders are counted at
worst-case notional: a BUY commits its full remaining limit notional (or quote size).
`balances_known` is False when the venue's balances could not be read (recently enough):
then nothing is sized and no loss limit is judged (R-5); exits still run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Final

from trader.core.types import Side
from trader.core.values import write_once

ZERO: Final = Decimal(0)


@dataclass(frozen=True, slots=True, init=False)
class Position:
    """A held spot position with its exit plan (R-2).

    `stop_loss_pct`/`take_profit_pct` are percent from `avg_cost`; `max_hold_s` counts from
    `entry_time`; `peak_price` is the highest price seen since entry (for trailing stops).
    """

    product_id: str
    base_size: Decimal
    avg_cost: Decimal
    entry_time: float
    strategy_id: str = ""
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    max_hold_s: float | None = None
    trailing_stop_pct: Decimal | None = None
    peak_price: Decimal | None = None

    def __init__(
        self,
        product_id: str,
        base_size: Decimal,
        avg_cost: Decimal,
        entry_time: float,
        strategy_id: str = "",
        stop_loss_pct: Decimal | None = None,
        take_profit_pct: Decimal | None = None,
        max_hold_s: float | None = None,
        trailing_stop_pct: Decimal | None = None,
        peak_price: Decimal | None = None,
    ) -> None:
        self.product_id = product_id  # type: ignore[misc]
        self.base_size = base_size  # type: ignore[misc]
        self.avg_cost = avg_cost  # type: ignore[misc]
        self.entry_time = entry_time  # type: ignore[misc]
        self.strategy_id = strategy_id  # type: ignore[misc]
        self.stop_loss_pct = stop_loss_pct  # type: ignore[misc]
        self.take_profit_pct = take_profit_pct  # type: ignore[misc]
        self.max_hold_s = max_hold_s  # type: ignore[misc]
        self.trailing_stop_pct = trailing_stop_pct  # type: ignore[misc]
        self.peak_price = peak_price  # type: ignore[misc]

    def value(self, price: Decimal | None) -> Decimal:
        """Mark-to-market value; without a price the position is valued at cost."""
        return self.base_size * (price if price is not None else self.avg_cost)

    def with_peak(self, price: Decimal) -> Position:
        """The position with `peak_price` raised to `price` when higher (trailing stops)."""
        if self.peak_price is not None and self.peak_price >= price:
            return self
        return replace(self, peak_price=price)


@dataclass(frozen=True, slots=True, init=False)
class OpenOrder:
    """A working order. `base_size` is the unfilled remainder."""

    order_id: str
    product_id: str
    side: Side
    base_size: Decimal
    limit_price: Decimal | None = None
    quote_size: Decimal | None = None
    strategy_id: str = ""
    stop_loss_pct: Decimal | None = None

    def __init__(
        self,
        order_id: str,
        product_id: str,
        side: Side,
        base_size: Decimal,
        limit_price: Decimal | None = None,
        quote_size: Decimal | None = None,
        strategy_id: str = "",
        stop_loss_pct: Decimal | None = None,
    ) -> None:
        self.order_id = order_id  # type: ignore[misc]
        self.product_id = product_id  # type: ignore[misc]
        self.side = side  # type: ignore[misc]
        self.base_size = base_size  # type: ignore[misc]
        self.limit_price = limit_price  # type: ignore[misc]
        self.quote_size = quote_size  # type: ignore[misc]
        self.strategy_id = strategy_id  # type: ignore[misc]
        self.stop_loss_pct = stop_loss_pct  # type: ignore[misc]

    def worst_case_notional(self, price: Decimal | None = None) -> Decimal:
        """Largest quote amount the order can commit (R-1: open orders count at worst case).

        Quote-sized orders commit their quote size; limit orders their limit notional; a
        base-sized market order is valued at `price` (the ask) — with no price, its
        reference is unknown and it raises, since guessing low would fail open.
        """
        if self.quote_size is not None:
            return self.quote_size
        if self.limit_price is not None:
            return self.base_size * self.limit_price
        if price is None:
            raise ValueError(f"order {self.order_id}: no price to value a market order")
        return self.base_size * price


@dataclass(frozen=True, slots=True)
class Portfolio:
    """Cash by currency, positions by product, open orders."""

    quote_currency: str = "USD"
    cash: Mapping[str, Decimal] = field(default_factory=dict)
    positions: Mapping[str, Position] = field(default_factory=dict)
    open_orders: Sequence[OpenOrder] = ()
    balances_known: bool = True

    def quote_cash(self) -> Decimal:
        return self.cash.get(self.quote_currency, ZERO)

    def equity(self, prices: Mapping[str, Decimal]) -> Decimal:
        """Quote cash plus positions marked at `prices` (at cost when a price is missing)."""
        total = self.quote_cash()
        for product_id, position in self.positions.items():
            total += position.value(prices.get(product_id))
        return total

    def position_value(self, product_id: str, prices: Mapping[str, Decimal]) -> Decimal:
        position = self.positions.get(product_id)
        return ZERO if position is None else position.value(prices.get(product_id))

    def open_buy_notional(
        self, prices: Mapping[str, Decimal], product_id: str | None = None
    ) -> Decimal:
        """Worst-case notional of open BUY orders (of one product, or all)."""
        total = ZERO
        for order in self.open_orders:
            if order.side is Side.BUY and (product_id is None or order.product_id == product_id):
                total += order.worst_case_notional(prices.get(order.product_id))
        return total

    def held_size(self, product_id: str) -> Decimal:
        position = self.positions.get(product_id)
        return ZERO if position is None else position.base_size

    def open_sell_size(self, product_id: str) -> Decimal:
        """Base size already committed to open SELL orders of a product."""
        sells = (o for o in self.open_orders if o.side is Side.SELL)
        return sum((o.base_size for o in sells if o.product_id == product_id), ZERO)


write_once(Position, OpenOrder)
