"""The matching engine's reason codes for a refusal, mapped to `RejectCause`.

The engine speaks the simulated venue's codes (the venue it serves emulates Coinbase);
the paper exchange, which calls it directly, reports each refusal with this cause.
"""

from __future__ import annotations

from typing import Final

from trader.core.orders import RejectCause

ENGINE_CAUSES: Final = {
    "INVALID_LIMIT_PRICE_POST_ONLY": RejectCause.POST_ONLY_WOULD_CROSS,
    "INSUFFICIENT_FUND": RejectCause.INSUFFICIENT_FUNDS,
    "ORDER_IS_FULLY_FILLED": RejectCause.ALREADY_FILLED,
} | dict.fromkeys(
    (
        "INVALID_SIZE_PRECISION",
        "INVALID_PRICE_PRECISION",
        "ORDER_ENTRY_DISABLED",
        "UNTRADABLE_PRODUCT",
        "INVALID_PRODUCT_ID",
        "UNSUPPORTED_ORDER_CONFIGURATION",
    ),
    RejectCause.PRODUCT_RULES,
)
# the size limits' preview reasons (their failure reason is the generic INVALID_REQUEST)
RULE_PREVIEWS: Final = frozenset(
    f"PREVIEW_INVALID_{what}_SIZE_TOO_{end}"
    for what in ("BASE", "QUOTE")
    for end in ("SMALL", "LARGE")
)


def engine_cause(reason: str, preview_reason: str = "") -> RejectCause:
    cause = ENGINE_CAUSES.get(reason, RejectCause.OTHER)
    if cause is RejectCause.OTHER and preview_reason in RULE_PREVIEWS:
        return RejectCause.PRODUCT_RULES
    return cause
