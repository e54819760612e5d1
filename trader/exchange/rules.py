"""EX-4 pre-send check of an order request against its product's rules.

Combines the shared helpers of `trader.core.products` (grid, min/max size, notional,
status flags) for one `OrderRequest`, so the execution engine can refuse locally what the
venue would reject (the venue rejects off-grid values, it never rounds).
"""

from __future__ import annotations

from decimal import Decimal

from trader.core.products import notional_problem, on_grid, size_problem, status_problem
from trader.core.types import ProductRules
from trader.exchange.orders import OrderKind, OrderRequest


def order_problem(
    request: OrderRequest, rules: ProductRules, reference_price: Decimal | None = None
) -> str | None:
    """Why `request` cannot be sent as is (None when it can). `reference_price` values a
    market order given in base size (the touch it is expected to take)."""
    if request.product_id != rules.product_id:
        return f"rules are for {rules.product_id}, order is for {request.product_id}"
    is_market = request.kind is OrderKind.MARKET_IOC
    problem = status_problem(rules, is_market=is_market, post_only=request.post_only)
    if problem is not None:
        return problem
    if request.limit_price is not None and not on_grid(request.limit_price, rules.quote_increment):
        return (
            f"limit_price {request.limit_price} is not a multiple of quote_increment "
            f"{rules.quote_increment}"
        )
    if request.base_size is not None:
        problem = size_problem(request.base_size, rules)
        if problem is not None:
            return problem
    price = request.limit_price if request.limit_price is not None else reference_price
    if request.quote_size is not None:
        if not on_grid(request.quote_size, rules.quote_increment):
            return (
                f"quote_size {request.quote_size} is not a multiple of quote_increment "
                f"{rules.quote_increment}"
            )
        return notional_problem(request.quote_size, rules)
    if request.base_size is not None and price is not None:
        return notional_problem(request.base_size * price, rules)
    return None
