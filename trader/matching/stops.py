"""Orders waiting for a stop: stop-limit and bracket triggers (SIM-1, protocol §2.5).

- Stop-limit (`stop_limit_stop_limit_gtc/_gtd`): waits off the book (status OPEN,
  `trigger_status` STOP_PENDING, funds held). When a last trade prints at or through
  `stop_price` in `stop_direction` (STOP_UP: price ≥ stop; STOP_DOWN: price ≤ stop) it
  becomes a limit order at `limit_price`: it takes what the book offers within the limit and
  rests the remainder.
- Bracket (`trigger_bracket_gtc/_gtd`): an exit order. Its `limit_price` leg (take-profit)
  rests as a limit order; its `stop_trigger_price` (stop-loss) fires when the last trade
  reaches it against the order (a SELL bracket on a fall: price ≤ trigger; a BUY bracket on a
  rise: price ≥ trigger). Then, as Coinbase documents, "a stop limit order is automatically
  placed with a limit price 5% higher for BUYS and 5% lower for SELLS" than the trigger: the
  take-profit leaves the book and the order works at that price instead.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from trader.core.orders import BRACKET_KINDS, STOP_KINDS
from trader.core.products import ceil_to_increment, floor_to_increment
from trader.core.types import Side
from trader.matching.types import STOP_UP, OrderSpec, SimOrder

BRACKET_SLIPPAGE: Final = Decimal("0.05")


def trigger_of(spec: OrderSpec, side: Side) -> tuple[Decimal, bool] | None:
    """(trigger price, fires on a rise) of a stop-limit or bracket order, else None."""
    if spec.kind in STOP_KINDS and spec.stop_price is not None:
        return spec.stop_price, spec.stop_direction == STOP_UP
    if spec.kind in BRACKET_KINDS and spec.stop_trigger_price is not None:
        return spec.stop_trigger_price, side is Side.BUY
    return None


def fires(trigger: tuple[Decimal, bool], price: Decimal) -> bool:
    """Whether a last trade at `price` reaches the trigger."""
    level, up = trigger
    return price >= level if up else price <= level


def bracket_stop_limit(trigger: Decimal, side: Side, tick: Decimal) -> Decimal:
    """The stop-loss limit placed when a bracket fires: 5% beyond the trigger, on the grid
    (rounded towards the trigger, so never further than 5%)."""
    if side is Side.BUY:
        return floor_to_increment(trigger * (1 + BRACKET_SLIPPAGE), tick)
    return max(tick, ceil_to_increment(trigger * (1 - BRACKET_SLIPPAGE), tick))


class StopBook:
    """Armed triggers per product, in arming order."""

    def __init__(self) -> None:
        self._armed: dict[str, dict[str, SimOrder]] = {}

    def arm(self, order: SimOrder) -> None:
        self._armed.setdefault(order.product_id, {})[order.order_id] = order

    def disarm(self, order: SimOrder) -> None:
        self._armed.get(order.product_id, {}).pop(order.order_id, None)

    def is_armed(self, order: SimOrder) -> bool:
        return order.order_id in self._armed.get(order.product_id, {})

    def fired(self, product_id: str, price: Decimal) -> list[SimOrder]:
        """Disarm and return the orders a last trade at `price` triggers."""
        armed = self._armed.get(product_id)
        if not armed:
            return []
        hit = []
        for order in list(armed.values()):
            trigger = trigger_of(order.spec, order.side)
            if trigger is not None and fires(trigger, price):
                hit.append(order)
                del armed[order.order_id]
        return hit
