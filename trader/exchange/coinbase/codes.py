"""Coinbase's codes in the daemon's venue-neutral words: reason codes of a refused order
or cancel (`RejectCause`) and order statuses (`OrderStatus`).

Only the reason codes the daemon acts on differently are named; every other code is
`OTHER` (its text stays in the rejection's `reason` and the intent's `reject_reason`).
"""

from __future__ import annotations

from trader.core.orders import OrderStatus, RejectCause

CAUSES = {
    "DUPLICATE_CLIENT_ORDER_ID": RejectCause.DUPLICATE_CLIENT_ID,
    "INVALID_LIMIT_PRICE_POST_ONLY": RejectCause.POST_ONLY_WOULD_CROSS,
    "INSUFFICIENT_FUND": RejectCause.INSUFFICIENT_FUNDS,
    "INSUFFICIENT_FUNDS": RejectCause.INSUFFICIENT_FUNDS,
    "ORDER_IS_FULLY_FILLED": RejectCause.ALREADY_FILLED,
} | dict.fromkeys(
    (
        "INVALID_SIZE_PRECISION",
        "INVALID_PRICE_PRECISION",
        "INVALID_LIMIT_PRICE_PRECISION",
        "INVALID_QUOTE_SIZE_PRECISION",
        "INVALID_BASE_SIZE_PRECISION",
        "ORDER_ENTRY_DISABLED",
        "UNTRADABLE_PRODUCT",
        "INVALID_PRODUCT_ID",
        "UNSUPPORTED_ORDER_CONFIGURATION",
    ),
    RejectCause.PRODUCT_RULES,
)
# preview reasons that name a product rule where the failure reason is generic
# (INVALID_REQUEST): sizes beyond the product's limits, prices and sizes off its grid
RULE_PREVIEW_PREFIXES = (
    "PREVIEW_INVALID_BASE_SIZE",
    "PREVIEW_INVALID_QUOTE_SIZE",
    "PREVIEW_INVALID_SIZE_PRECISION",
    "PREVIEW_INVALID_PRICE_PRECISION",
    "PREVIEW_INVALID_LIMIT_PRICE_PRECISION",
)


def cause_of(reason: str, preview_reason: str = "") -> RejectCause:
    cause = CAUSES.get(reason.strip().upper(), RejectCause.OTHER)
    if cause is RejectCause.OTHER and preview_reason.strip().upper().startswith(
        RULE_PREVIEW_PREFIXES
    ):
        return RejectCause.PRODUCT_RULES
    return cause


def order_status(text: str) -> OrderStatus:
    """Coinbase's order status; one the daemon does not know is UNKNOWN (it moves nothing)."""
    return _STATUSES.get(text.upper(), OrderStatus.UNKNOWN)


_STATUSES = {status.value: status for status in OrderStatus}
