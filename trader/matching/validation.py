"""Create-order validation, as Coinbase does it: reject, never round (SIM-1, EX-4).

Checks run in this order: product, product status flags, order configuration, increment grid
(precision), min/max sizes, notional. Post-only crossing, open-order count and funds need
the engine's state and are checked there with the helpers below.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from trader.core.orders import BRACKET_KINDS, GTD_KINDS, STOP_KINDS, OrderKind
from trader.core.products import on_grid
from trader.core.types import ProductRules, Side
from trader.matching.types import STOP_DOWN, STOP_UP, CreateOutcome, NewOrder, OrderSpec

MAX_OPEN_ORDERS_PER_PRODUCT: Final = 500
UNKNOWN_PREVIEW: Final = "UNKNOWN_PREVIEW_FAILURE_REASON"
LIMIT_KINDS: Final = (OrderKind.LIMIT_GTC, OrderKind.LIMIT_GTD, OrderKind.SOR_LIMIT_IOC)


def rejection(failure: str, message: str, preview: str = UNKNOWN_PREVIEW) -> CreateOutcome:
    """A rejected create: `error` mirrors `new_order_failure_reason` as the real API does."""
    return CreateOutcome(
        success=False,
        error=failure,
        message=message,
        failure_reason=failure,
        preview_failure_reason=preview,
    )


def insufficient_funds(currency: str, need: Decimal, available: Decimal) -> CreateOutcome:
    return rejection(
        "INSUFFICIENT_FUND",
        f"Insufficient balance in source account (need {need} {currency}, have {available})",
        "PREVIEW_INSUFFICIENT_FUND",
    )


def post_only_crossing(price: Decimal, opposite_best: Decimal) -> CreateOutcome:
    return rejection(
        "INVALID_LIMIT_PRICE_POST_ONLY",
        f"post-only limit price {price} would cross the book at {opposite_best}",
        "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY",
    )


def too_many_open_orders(product_id: str) -> CreateOutcome:
    return rejection(
        "COMMANDER_REJECTED_NEW_ORDER",
        f"too many open orders: at most {MAX_OPEN_ORDERS_PER_PRODUCT} per product ({product_id})",
        "PREVIEW_TOO_MANY_OPEN_ORDERS",
    )


def status_rejection(rules: ProductRules, order: NewOrder) -> CreateOutcome | None:
    """Product flags: disabled/offline, cancel-only, limit-only, post-only products."""
    is_market = order.spec.kind is OrderKind.MARKET_IOC
    if rules.status != "online" or rules.trading_disabled:
        return rejection("UNTRADABLE_PRODUCT", f"{rules.product_id} is not tradable")
    if rules.cancel_only:
        return rejection("ORDER_ENTRY_DISABLED", f"{rules.product_id} is cancel-only")
    if rules.limit_only and is_market:
        return rejection(
            "UNSUPPORTED_ORDER_CONFIGURATION", f"{rules.product_id} accepts limit orders only"
        )
    if rules.post_only and not (order.spec.post_only and order.spec.kind in LIMIT_KINDS):
        return rejection(
            "UNSUPPORTED_ORDER_CONFIGURATION", f"{rules.product_id} accepts post-only orders only"
        )
    return None


def configuration_rejection(order: NewOrder) -> CreateOutcome | None:
    """Fields each `order_configuration` kind needs (and the ones it must not have)."""
    spec = order.spec
    bad = "UNSUPPORTED_ORDER_CONFIGURATION"
    if spec.kind is OrderKind.MARKET_IOC:
        if (spec.base_size is None) == (spec.quote_size is None):
            return rejection(bad, "market order needs exactly one of base_size or quote_size")
        if order.side is Side.SELL and spec.quote_size is not None:
            return rejection(bad, "Market sells must be parameterized in base currency")
        return None
    if spec.base_size is None or spec.limit_price is None:
        return rejection(bad, f"{spec.kind} needs base_size and limit_price")
    if spec.kind in GTD_KINDS and spec.end_time is None:
        return rejection(bad, f"{spec.kind} needs end_time")
    if spec.post_only and spec.kind not in (OrderKind.LIMIT_GTC, OrderKind.LIMIT_GTD):
        if spec.kind is OrderKind.LIMIT_FOK:
            return rejection("POST_ONLY_NOT_ALLOWED_WITH_FOK", "a FOK order cannot be post-only")
        return rejection(bad, f"{spec.kind} cannot be post-only")
    return trigger_rejection(spec, order.side)


def trigger_rejection(spec: OrderSpec, side: Side) -> CreateOutcome | None:
    """Stop-limit: stop_price and a stop_direction, the limit on the right side of the stop
    (a BUY's limit at or above it, a SELL's at or below). Bracket: stop_trigger_price on
    the losing side of the take-profit limit (a SELL's below it, a BUY's above it)."""
    bad = "UNSUPPORTED_ORDER_CONFIGURATION"
    limit = spec.limit_price
    assert limit is not None
    if spec.kind in STOP_KINDS:
        if spec.stop_price is None or spec.stop_direction not in (STOP_UP, STOP_DOWN):
            return rejection(bad, f"{spec.kind} needs stop_price and stop_direction")
        if side is Side.BUY and limit < spec.stop_price:
            return _limit_vs_stop("at or above", "PREVIEW_STOP_PRICE_ABOVE_LIMIT_PRICE")
        if side is Side.SELL and limit > spec.stop_price:
            return _limit_vs_stop("at or below", "PREVIEW_STOP_PRICE_BELOW_LIMIT_PRICE")
    if spec.kind in BRACKET_KINDS:
        trigger = spec.stop_trigger_price
        if trigger is None:
            return rejection(bad, f"{spec.kind} needs stop_trigger_price")
        if (side is Side.SELL and trigger >= limit) or (side is Side.BUY and trigger <= limit):
            where = "below" if side is Side.SELL else "above"
            return rejection(
                "INVALID_LIMIT_PRICE",
                f"a {side} bracket's stop_trigger_price must be {where} its limit_price",
                "PREVIEW_INVALID_STOP_PRICE",
            )
    return None


def _limit_vs_stop(where: str, preview: str) -> CreateOutcome:
    return rejection("INVALID_LIMIT_PRICE", f"limit_price must be {where} stop_price", preview)


def precision_rejection(order: NewOrder, rules: ProductRules) -> CreateOutcome | None:
    """Off-grid sizes and prices are rejected, never rounded."""
    spec = order.spec
    if spec.base_size is not None and (
        spec.base_size <= 0 or not on_grid(spec.base_size, rules.base_increment)
    ):
        return rejection(
            "INVALID_SIZE_PRECISION",
            f"base_size {spec.base_size} is not a positive multiple of {rules.base_increment}",
        )
    if spec.quote_size is not None and (
        spec.quote_size <= 0 or not on_grid(spec.quote_size, rules.quote_increment)
    ):
        return rejection(
            "INVALID_SIZE_PRECISION",
            f"quote_size {spec.quote_size} is not a positive multiple of {rules.quote_increment}",
        )
    prices = (
        ("limit_price", spec.limit_price),
        ("stop_price", spec.stop_price),
        ("stop_trigger_price", spec.stop_trigger_price),
    )
    for name, price in prices:
        if price is None:
            continue
        if price <= 0:
            return rejection("INVALID_LIMIT_PRICE", f"{name} {price} <= 0")
        if not on_grid(price, rules.quote_increment):
            return rejection(
                "INVALID_PRICE_PRECISION",
                f"{name} {price} is not a multiple of {rules.quote_increment}",
            )
    return None


def size_limit_rejection(order: NewOrder, rules: ProductRules) -> CreateOutcome | None:
    """base_min/max_size on base sizes; quote_min/max_size on quote sizes and limit notional."""
    spec = order.spec
    if spec.base_size is not None:
        if spec.base_size < rules.base_min_size:
            return _size_rejection("BASE_SIZE_TOO_SMALL", spec.base_size, rules.base_min_size)
        if spec.base_size > rules.base_max_size:
            return _size_rejection("BASE_SIZE_TOO_LARGE", spec.base_size, rules.base_max_size)
    notional = spec.quote_size
    if notional is None and spec.base_size is not None and spec.limit_price is not None:
        notional = spec.base_size * spec.limit_price
    if notional is not None:
        if notional < rules.quote_min_size:
            return _size_rejection("QUOTE_SIZE_TOO_SMALL", notional, rules.quote_min_size)
        if notional > rules.quote_max_size:
            return _size_rejection("QUOTE_SIZE_TOO_LARGE", notional, rules.quote_max_size)
    return None


def _size_rejection(what: str, value: Decimal, bound: Decimal) -> CreateOutcome:
    return rejection(
        "INVALID_REQUEST", f"{what.lower()}: {value} (limit {bound})", f"PREVIEW_INVALID_{what}"
    )


def static_rejection(order: NewOrder, rules: ProductRules | None) -> CreateOutcome | None:
    """Every check that needs only the request and the product's rules."""
    if rules is None:
        return rejection("INVALID_PRODUCT_ID", f"Product {order.product_id} not supported")
    return (
        status_rejection(rules, order)
        or configuration_rejection(order)
        or precision_rejection(order, rules)
        or size_limit_rejection(order, rules)
    )
