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
}


def cause_of(reason: str) -> RejectCause:
    return CAUSES.get(reason.strip().upper(), RejectCause.OTHER)


def order_status(text: str) -> OrderStatus:
    """Coinbase's order status; one the daemon does not know is UNKNOWN (it moves nothing)."""
    return _STATUSES.get(text.upper(), OrderStatus.UNKNOWN)


_STATUSES = {status.value: status for status in OrderStatus}
