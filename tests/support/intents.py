"""An intent and a fill as the state file stores them, for tests of what is read back
(trades counted, working orders, exit plans, positions)."""

from __future__ import annotations

from decimal import Decimal

from trader.core.types import Side
from trader.exchange.models import Fill
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


def stored_fill(
    n: int,
    order_id: str,
    side: Side,
    size: Decimal,
    *,
    at: float,
    product: str = "BTC-USD",
    price: Decimal = Decimal(100),
) -> Fill:
    """Trade `t<n>` of an own order, at `price`, without commission."""
    return Fill(
        entry_id=f"e{n}",
        trade_id=f"t{n}",
        order_id=order_id,
        product_id=product,
        side=side,
        price=price,
        size=size,
        commission=Decimal(0),
        liquidity="TAKER",
        trade_type="FILL",
        trade_time=at,
        sequence_timestamp="",
    )
