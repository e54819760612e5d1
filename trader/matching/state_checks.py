"""Create-order checks that need the venue's state: GTD end time, post-only crossing, the
500-open-orders cap, liquidity for market orders, stops against the last trade price, and
funds (SIM-1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from trader.core.orders import RESTING_KINDS, OrderKind
from trader.core.types import FeeRates, ProductRules, Side
from trader.matching.accounts import Accounts
from trader.matching.book import ProductBook
from trader.matching.matching import plan_takes, total_value
from trader.matching.stops import trigger_of
from trader.matching.types import CreateOutcome, NewOrder
from trader.matching.validation import (
    MAX_OPEN_ORDERS_PER_PRODUCT,
    insufficient_funds,
    post_only_crossing,
    rejection,
    too_many_open_orders,
)

ZERO: Final = Decimal(0)


def state_rejection(
    order: NewOrder,
    rules: ProductRules,
    book: ProductBook,
    fees: FeeRates,
    accounts: Accounts,
    *,
    open_count: int,
    now: float,
    last_price: Decimal | None = None,
) -> CreateOutcome | None:
    spec, side = order.spec, order.side
    if spec.end_time is not None and spec.end_time <= now:
        return rejection("INVALID_REQUEST", f"end_time {spec.end_time} is not in the future")
    if spec.post_only and spec.limit_price is not None:
        opposite = book.best(side.opposite)
        if opposite is not None and (
            spec.limit_price >= opposite if side is Side.BUY else spec.limit_price <= opposite
        ):
            return post_only_crossing(spec.limit_price, opposite)
    if spec.kind in RESTING_KINDS and open_count >= MAX_OPEN_ORDERS_PER_PRODUCT:
        return too_many_open_orders(rules.product_id)
    if spec.kind is OrderKind.MARKET_IOC and book.market(side.opposite).best() is None:
        return rejection("INVALID_NO_LIQUIDITY", f"no liquidity in {rules.product_id}")
    problem = stop_vs_last_trade(order, last_price)
    if problem is not None:
        return problem
    currency, need = required_funds(order, rules, book, fees)
    available = accounts.available(currency)
    return insufficient_funds(currency, need, available) if need > available else None


def required_funds(
    order: NewOrder, rules: ProductRules, book: ProductBook, fees: FeeRates
) -> tuple[str, Decimal]:
    """What the order needs available: base for a SELL; for a BUY, quote value plus the
    worst-case (taker) fee: limit × size, the book walk for a market base size, or quote_size."""
    spec, with_fee = order.spec, 1 + fees.taker
    if order.side is Side.SELL:
        return rules.base_currency, spec.base_size or ZERO
    if spec.quote_size is not None:
        return rules.quote_currency, spec.quote_size * with_fee
    if spec.kind is OrderKind.MARKET_IOC:
        takes = plan_takes(
            book.market_asks,
            Side.BUY,
            base_size=spec.base_size,
            quote_budget=None,
            limit_price=None,
            base_increment=rules.base_increment,
        )
        return rules.quote_currency, total_value(takes) * with_fee
    limit_value = (spec.limit_price or ZERO) * (spec.base_size or ZERO)
    return rules.quote_currency, limit_value * with_fee


def stop_vs_last_trade(order: NewOrder, last_price: Decimal | None) -> CreateOutcome | None:
    """A stop must not be reached already: a rising trigger above the last trade price, a
    falling one below it (unknown last price: not checked)."""
    trigger = trigger_of(order.spec, order.side)
    if trigger is None or last_price is None:
        return None
    level, up = trigger
    if up and level <= last_price:
        return rejection(
            "INVALID_REQUEST",
            f"stop price {level} must be above the last trade price {last_price}",
            "PREVIEW_STOP_PRICE_BELOW_LAST_TRADE_PRICE",
        )
    if not up and level >= last_price:
        return rejection(
            "INVALID_REQUEST",
            f"stop price {level} must be below the last trade price {last_price}",
            "PREVIEW_STOP_PRICE_ABOVE_LAST_TRADE_PRICE",
        )
    return None
