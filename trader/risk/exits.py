"""Exits (R-2): due every cycle and on every price update, whatever happened to entries.

`exits_due` looks only at positions, prices, the time and the policy — no entry-only check
(caps, cooldowns, rate limits, spread, universe) can block an exit. Only HALTED blocks
exits, and `filter_exits` is the one place that says so. A position without its own plan
uses the policy defaults (`default_stop_loss_pct` always applies: every position has a stop).

Precedence when several fire at once: stop-loss, trailing stop, take-profit, max hold.
Boundaries: stop at `price <= stop price`, take-profit at `price >= target`, max hold at
`now - entry_time >= max_hold_s`. With a `confirm` screen (the decision core's), a price
exit fired by an outlier reading waits for confirmation (`risk/exit_confirm.py`); max hold
never waits, and while a price exit waits a due max hold is sent in its place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from operator import attrgetter
from typing import Final

from trader.config.policy import PolicyConfig
from trader.core.decision import ExitOrder, ExitReason
from trader.core.derived import Derived
from trader.core.portfolio import Position
from trader.core.products import quantize_size
from trader.core.risk_state import RiskState
from trader.core.types import ProductRules, TradingState
from trader.risk.exit_confirm import ExitScreen

HUNDRED: Final = Decimal(100)
PRODUCT_ID: Final = attrgetter("product_id")
ONE: Final = Decimal(1)  # Decimal operands: an int one is converted on every operation
ZERO: Final = Decimal(0)
# a percentage setting's factors below and above the cost, worked out once per setting
# object (the same expression: the same Decimal); an exit is checked at every price
_BELOW: Final = Derived[Decimal, Decimal](lambda pct: ONE - pct / HUNDRED)
_ABOVE: Final = Derived[Decimal, Decimal](lambda pct: ONE + pct / HUNDRED)


def stop_price(position: Position, config: PolicyConfig) -> Decimal:
    """The price at or below which the position's stop-loss fires."""
    own_stop = position.stop_loss_pct
    stop_pct = config.default_stop_loss_pct if own_stop is None else own_stop
    return position.avg_cost * _BELOW.get(stop_pct)


def target_price(position: Position, config: PolicyConfig) -> Decimal | None:
    """The price at or above which the position's take-profit fires (None: no target)."""
    take_pct = position.take_profit_pct
    if take_pct is None:  # the setting is read only when needed (a pydantic attribute)
        take_pct = config.default_take_profit_pct
    return None if take_pct is None else position.avg_cost * _ABOVE.get(take_pct)


def _price_exit(
    position: Position, price: Decimal, config: PolicyConfig
) -> tuple[ExitReason, Decimal] | None:
    cost = position.avg_cost
    stop = stop_price(position, config)
    if price <= stop:
        return ExitReason.STOP_LOSS, stop
    trail_pct = position.trailing_stop_pct
    if trail_pct is None:
        trail_pct = config.trailing_stop_pct
    if trail_pct is not None:
        peak = max(cost if position.peak_price is None else position.peak_price, price)
        trail_price = peak * (ONE - trail_pct / HUNDRED)
        if price <= trail_price:
            return ExitReason.TRAILING_STOP, trail_price
    target = target_price(position, config)
    if target is not None and price >= target:
        return ExitReason.TAKE_PROFIT, target
    return None


def _hold_exit(position: Position, now: float, config: PolicyConfig) -> Decimal | None:
    max_hold = config.default_max_hold_s if position.max_hold_s is None else position.max_hold_s
    if max_hold is None:
        return None
    deadline = position.entry_time + max_hold
    return Decimal(repr(deadline)) if now >= deadline else None


def exit_for(
    position: Position, price: Decimal | None, now: float, config: PolicyConfig
) -> tuple[ExitReason, Decimal] | None:
    """The exit due for one position, or None. Without a price only max hold can fire."""
    if price is not None and price > ZERO:
        found = _price_exit(position, price, config)
        if found is not None:
            return found
    deadline = _hold_exit(position, now, config)
    return None if deadline is None else (ExitReason.MAX_HOLD, deadline)


def exit_within(
    position: Position, low: Decimal, high: Decimal, until: float, config: PolicyConfig
) -> bool:
    """Whether `exit_for` can find an exit for `position` at any price in [`low`, `high`]
    at any time up to `until`. Each rule fires on one side of a bound: the stop and the
    trailing stop at and below a price (the trail's peak is at least the price itself, so
    a higher price never fires where a lower one does not), the take-profit at and above
    one, max hold from a time on — so the two ends at `until` answer for every point
    between. A `low` at or below zero answers yes (there only max hold is looked at)."""
    if low <= ZERO:
        return True
    return (
        exit_for(position, low, until, config) is not None
        or exit_for(position, high, until, config) is not None
    )


def _screened(
    position: Position,
    found: tuple[ExitReason, Decimal] | None,
    price: Decimal | None,
    now: float,
    config: PolicyConfig,
    confirm: ExitScreen,
) -> tuple[ExitReason, Decimal] | None:
    """`found` when it may be sent now; while a price exit waits for confirmation, max hold
    when due, else None."""
    product_id = position.product_id
    if found is None or found[0] is ExitReason.MAX_HOLD or price is None:
        confirm.dismiss(product_id, now)  # the reading fires no price exit
        return found
    if confirm.send(product_id, found, price, now):
        return found
    deadline = _hold_exit(position, now, config)
    return None if deadline is None else (ExitReason.MAX_HOLD, deadline)


def exits_due(
    positions: Mapping[str, Position] | Iterable[Position],
    prices: Mapping[str, Decimal],
    now: float,
    config: PolicyConfig,
    *,
    rules: Mapping[str, ProductRules] | None = None,
    confirm: ExitScreen | None = None,
) -> list[ExitOrder]:
    """Every exit due now, sorted by product id (R-2).

    `prices` should be what a SELL would get (bid or last trade). With `rules`, the size is
    floored to `base_increment`, and dust that floors to zero is not emitted. With
    `confirm`, a price exit fired by an outlier reading waits for confirmation.
    """
    # a dict first: `isinstance(x, Mapping)` is an ABC check, slow at every price update
    if isinstance(positions, (dict, Mapping)):
        items: Iterable[Position] = positions.values()
    else:
        items = positions
    orders: list[ExitOrder] = []
    for position in sorted(items, key=PRODUCT_ID):
        if position.base_size <= ZERO:
            continue
        price = prices.get(position.product_id)
        found = exit_for(position, price, now, config)
        if confirm is not None and (found is not None or confirm.waiting):
            found = _screened(position, found, price, now, config, confirm)
        if found is None:
            continue
        size = position.base_size
        product_rules = rules.get(position.product_id) if rules is not None else None
        if product_rules is not None:
            size = quantize_size(size, product_rules)
        if size <= ZERO:
            continue
        reason, threshold = found
        orders.append(
            ExitOrder(position.product_id, size, reason, price, threshold, position.strategy_id)
        )
    return orders


def filter_exits(exits: Iterable[ExitOrder], risk_state: RiskState) -> list[ExitOrder]:
    """Only HALTED blocks exits (cancels only); ACTIVE and REDUCING let every exit through."""
    if risk_state.trading_state is TradingState.HALTED:
        return []
    return list(exits)


def update_peaks(
    positions: Mapping[str, Position], prices: Mapping[str, Decimal]
) -> dict[str, Position]:
    """Positions with `peak_price` raised to the current price (for trailing stops)."""
    updated: dict[str, Position] = {}
    for pid, position in positions.items():
        price = prices.get(pid)
        updated[pid] = position if price is None else position.with_peak(price)
    return updated
