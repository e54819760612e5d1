"""An intent as the state file stores it, for tests of what is read back (trades
counted, working orders, exit plans)."""

from __future__ import annotations

from decimal import Decimal

from trader.core.types import Side
from trader.execution.intents import Intent, IntentState, Purpose


def stored_intent(
    n: int,
    state: IntentState,
    *,
    at: float,
    side: Side = Side.BUY,
    product: str = "BTC-USD",
    filled: str = "0",
    purpose: Purpose | None = None,
    proposal: str | None = None,
    mode: str = "LIVE",
) -> Intent:
    """Intent `i<n>` of 0.01 at a limit of 100; an entry when buying, an exit when selling
    (unless `purpose` says otherwise)."""
    if purpose is None:
        purpose = Purpose.ENTRY if side is Side.BUY else Purpose.EXIT
    return Intent(
        intent_id=f"i{n}",
        client_order_id=f"c{n}",
        mode=mode,
        purpose=purpose,
        product_id=product,
        side=side,
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
