"""Edit-order rules, as Coinbase applies them to `POST /orders/edit` (SIM-1, protocol §2.7).

Only OPEN `limit_limit_gtc` orders can be edited; the request names the new limit `price`
and the new total `size` (filled part included) and both are needed: a missing one reads as
0 and is refused. Refusals carry Coinbase's `edit_failure_reason` (and, where the order
preview fails, a `preview_failure_reason`):

- ORDER_NOT_FOUND; ONLY_LIMIT_ORDER_EDITS_SUPPORTED (any other kind, GTD included);
  ONLY_OPEN_ORDERS_CAN_BE_EDITED; COMMANDER_REJECTED_EDIT_ORDER (product not tradable);
- INVALID_EDITED_PRICE (≤ 0, off the grid, or crossing for a post-only order);
- INVALID_EDITED_SIZE (≤ 0, off the grid, outside the product's size or notional limits);
- CANNOT_EDIT_TO_BELOW_FILLED_SIZE (the new size does not exceed what has filled);
- EDIT_REQUEST_EQUAL_TO_ORIGINAL_REQUEST; insufficient funds for a larger hold
  (UNKNOWN_EDIT_ORDER_FAILURE_REASON with PREVIEW_INSUFFICIENT_FUND).

An accepted edit keeps the order's queue position only when it just lowers the size at the
same price; a new price or a larger size re-queues it (and a crossing price takes liquidity
first, like a new limit order).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from trader.core.orders import OrderKind, OrderStatus
from trader.core.products import on_grid
from trader.core.types import FeeRates, ProductRules, Side
from trader.matching.accounts import Accounts
from trader.matching.book import ProductBook
from trader.matching.types import EditOutcome, SimOrder

ZERO: Final = Decimal(0)


def refusal(reason: str, message: str, preview: str = "") -> EditOutcome:
    return EditOutcome(
        success=False,
        edit_failure_reason=reason,
        preview_failure_reason=preview or "UNKNOWN_PREVIEW_FAILURE_REASON",
        message=message,
    )


def edit_rejection(
    order: SimOrder | None,
    price: Decimal | None,
    size: Decimal | None,
    rules: ProductRules | None,
) -> EditOutcome | None:
    """Checks that need only the order, the request and the product's rules."""
    if order is None or rules is None:
        return refusal("ORDER_NOT_FOUND", "order not found")
    if order.spec.kind is not OrderKind.LIMIT_GTC:
        return refusal(
            "ONLY_LIMIT_ORDER_EDITS_SUPPORTED",
            f"only limit GTC orders can be edited, not {order.spec.kind}",
        )
    if order.status is not OrderStatus.OPEN:
        return refusal("ONLY_OPEN_ORDERS_CAN_BE_EDITED", f"order is {order.status}")
    if rules.status != "online" or rules.trading_disabled or rules.cancel_only:
        return refusal("COMMANDER_REJECTED_EDIT_ORDER", f"{rules.product_id} is not tradable")
    return _value_problem(order, price or ZERO, size or ZERO, rules)


def _value_problem(
    order: SimOrder, price: Decimal, size: Decimal, rules: ProductRules
) -> EditOutcome | None:
    if price <= 0 or not on_grid(price, rules.quote_increment):
        return refusal(
            "INVALID_EDITED_PRICE",
            f"price {price} is not a positive multiple of {rules.quote_increment}",
            "PREVIEW_INVALID_PRICE_PRECISION" if price > 0 else "PREVIEW_INVALID_LIMIT_PRICE",
        )
    if size <= 0 or not on_grid(size, rules.base_increment):
        return refusal(
            "INVALID_EDITED_SIZE",
            f"size {size} is not a positive multiple of {rules.base_increment}",
            "PREVIEW_INVALID_SIZE_PRECISION",
        )
    if size <= order.filled_size:
        return refusal(
            "CANNOT_EDIT_TO_BELOW_FILLED_SIZE",
            f"size {size} must exceed the filled size {order.filled_size}",
        )
    if price == order.limit_price and size == order.spec.base_size:
        return refusal("EDIT_REQUEST_EQUAL_TO_ORIGINAL_REQUEST", "nothing to change")
    return _limits_problem(size, price, rules)


def _limits_problem(size: Decimal, price: Decimal, rules: ProductRules) -> EditOutcome | None:
    checks = (
        (size < rules.base_min_size, "PREVIEW_INVALID_BASE_SIZE_TOO_SMALL"),
        (size > rules.base_max_size, "PREVIEW_INVALID_BASE_SIZE_TOO_LARGE"),
        (size * price < rules.quote_min_size, "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL"),
        (size * price > rules.quote_max_size, "PREVIEW_INVALID_QUOTE_SIZE_TOO_LARGE"),
    )
    for failed, preview in checks:
        if failed:
            return refusal("INVALID_EDITED_SIZE", f"size {size} at {price}: {preview}", preview)
    return None


def state_problem(
    order: SimOrder,
    price: Decimal,
    size: Decimal,
    book: ProductBook,
    fees: FeeRates,
    accounts: Accounts,
    rules: ProductRules,
) -> EditOutcome | None:
    """Post-only crossing and the funds a larger hold needs."""
    opposite = book.best(order.side.opposite)
    crosses = opposite is not None and (
        price >= opposite if order.side is Side.BUY else price <= opposite
    )
    if order.spec.post_only and crosses:
        return refusal(
            "INVALID_EDITED_PRICE",
            f"post-only price {price} would cross the book at {opposite}",
            "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY",
        )
    leaves = size - order.filled_size
    if order.side is Side.BUY:
        currency, need = rules.quote_currency, price * leaves * (1 + fees.taker)
    else:
        currency, need = rules.base_currency, leaves
    available = accounts.available(currency)
    if need - order.hold > available:
        return refusal(
            "UNKNOWN_EDIT_ORDER_FAILURE_REASON",
            f"Insufficient balance in source account (need {need} {currency}, "
            f"have {available + order.hold})",
            "PREVIEW_INSUFFICIENT_FUND",
        )
    return None


def keeps_queue(order: SimOrder, price: Decimal, size: Decimal) -> bool:
    """Only a smaller size at the same price keeps the order's place in the queue."""
    return price == order.limit_price and size < (order.spec.base_size or ZERO)


def edited_configuration(
    configuration: dict[str, Any], kind: OrderKind, price: Decimal, size: Decimal
) -> dict[str, Any]:
    """The order's `order_configuration` echo with the new limit price and size."""
    fields = dict(configuration.get(kind.value) or {})
    fields.update(base_size=str(size), limit_price=str(price))
    return {kind.value: fields}
