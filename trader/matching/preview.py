"""`preview_order`: totals of a would-be order without changing any state (SIM-1).

The taking part is priced by walking the market (taker fee); the part that would rest is
priced at the limit (maker fee); a stop-limit takes nothing until its stop fires, so all of
it is priced as resting. `order_total` is quote spent including fees for a BUY and quote
received net of fees for a SELL.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from trader.core.orders import RESTING_KINDS, STOP_KINDS
from trader.core.types import FeeRates, ProductRules, Side
from trader.matching.book import ProductBook
from trader.matching.matching import plan_takes, total_size, total_value
from trader.matching.types import CreateOutcome, NewOrder, PreviewOutcome
from trader.matching.validation import UNKNOWN_PREVIEW

ZERO: Final = Decimal(0)


def preview(
    order: NewOrder,
    rules: ProductRules | None,
    book: ProductBook | None,
    fees: FeeRates,
    problem: CreateOutcome | None,
) -> PreviewOutcome:
    best_bid = (book.best(Side.BUY) if book else None) or ZERO
    best_ask = (book.best(Side.SELL) if book else None) or ZERO
    if problem is not None or rules is None or book is None:
        reason = "PREVIEW_INVALID_PRODUCT_ID"
        if problem is not None:
            reason = problem.preview_failure_reason
            if reason == UNKNOWN_PREVIEW:
                reason = f"PREVIEW_{problem.failure_reason}"
        return PreviewOutcome(ZERO, ZERO, ZERO, ZERO, best_bid, best_ask, ZERO, (reason,))
    spec = order.spec
    takes = []
    if not spec.post_only and spec.kind not in STOP_KINDS:
        takes = plan_takes(
            book.market(order.side.opposite),
            order.side,
            base_size=spec.base_size,
            quote_budget=spec.quote_size,
            limit_price=spec.limit_price,
            base_increment=rules.base_increment,
        )
    taken_size, taken_value = total_size(takes), total_value(takes)
    commission = taken_value * fees.taker
    rest_size = ZERO
    if spec.kind in RESTING_KINDS and spec.base_size is not None:
        rest_size = spec.base_size - taken_size
    rest_value = rest_size * (spec.limit_price or ZERO)
    commission += rest_value * fees.maker
    value = taken_value + rest_value
    total = value + commission if order.side is Side.BUY else value - commission
    touch = best_ask if order.side is Side.BUY else best_bid
    slippage = ZERO
    if taken_size > 0 and touch > 0:
        slippage = abs(taken_value / taken_size - touch) / touch
    return PreviewOutcome(
        order_total=total,
        commission_total=commission,
        base_size=taken_size + rest_size,
        quote_size=value,
        best_bid=best_bid,
        best_ask=best_ask,
        slippage=slippage,
    )
