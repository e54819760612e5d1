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
}


def engine_cause(reason: str) -> RejectCause:
    return ENGINE_CAUSES.get(reason, RejectCause.OTHER)
