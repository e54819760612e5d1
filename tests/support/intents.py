"""A BTC-USD buy intent as the state file stores it, for tests of what the cycle reads
back (trades counted, working orders, exit plans)."""

from __future__ import annotations

from decimal import Decimal

from trader.core.types import Side
from trader.execution.intents import Intent, IntentState, Purpose


def buy_intent(
    n: int,
    state: IntentState,
    *,
    at: float,
    filled: str = "0",
    purpose: Purpose = Purpose.ENTRY,
    proposal: str | None = None,
    mode: str = "LIVE",
) -> Intent:
    return Intent(
        intent_id=f"i{n}",
        client_order_id=f"c{n}",
        mode=mode,
        purpose=purpose,
        product_id="BTC-USD",
        side=Side.BUY,
        order_configuration="{}",
        request_body=b"{}",
        base_size=Decimal("0.01"),
        quote_size=None,
        limit_price=Decimal("100"),
        state=state,
        created_at=at,
        proposal_id=proposal,
        filled_size=Decimal(filled),
    )
