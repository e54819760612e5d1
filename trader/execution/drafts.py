"""What the order manager wants sent (X-1, X-2): the draft of an intent, and its log line.

Sizes and prices are already on the product's grid; the execution engine turns a draft
into an intent (with its client order id and serialized request) before anything leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import structlog

from trader.core.orders import OrderKind
from trader.core.types import Side
from trader.execution.intents import Intent, Purpose

log = structlog.get_logger("trader.execution")


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """What the order manager wants sent; sizes and prices already on the product's grid."""

    product_id: str
    side: Side
    kind: OrderKind
    purpose: Purpose
    base_size: Decimal | None = None
    quote_size: Decimal | None = None
    limit_price: Decimal | None = None
    post_only: bool = False
    end_time: float | None = None
    cycle_id: str | None = None
    proposal_id: str | None = None
    parent_intent_id: str | None = None
    reason: str | None = None
    strategy: str | None = None  # STR-5: whose order it is


def log_intent(intent: Intent, draft: OrderDraft) -> None:
    """OPS-9: the intent, once written and before its request leaves."""
    log.info(
        "intent",
        intent_id=intent.intent_id,
        client_order_id=intent.client_order_id,
        product_id=intent.product_id,
        side=intent.side.value,
        kind=draft.kind.value,
        purpose=intent.purpose.value,
        base_size=None if intent.base_size is None else str(intent.base_size),
        limit_price=None if intent.limit_price is None else str(intent.limit_price),
        proposal_id=intent.proposal_id,
        reason=intent.reason,
    )
