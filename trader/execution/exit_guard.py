"""One exit in flight per position, never larger than the position (X-1, X-2, R-2).

Every SELL the daemon sends is an exit (spot: no shorting), and every one is committed by
the execution engine's `place`, whatever planned it: the cycle's exits, the exit check
between cycles, a strategy's sell, the max-hold, stop and take-profit exits, the kill
switch's flatten. Right before its intent is committed, in the same database call, the
engine asks `refusal`, which runs these checks in order:

- `check_no_exit_in_flight`: no other SELL of the product is in flight. An exit is in
  flight from its intent's commit until its fills are booked against the position: while
  its intent is working (NEW..PARTIALLY_FILLED), and after its order finished at the venue
  for as long as the fills stored for it hold less than the filled size its order reported
  (the user channel reports an IOC FILLED before the REST fill sync has stored its fills,
  and until then the position still shows its old size).
- `check_within_position`: its size is at most the position the daemon's own fills hold.
  Coins the account holds beside them (`trader adopt`'s outside holdings) are never sold.

The paper venue and the backtest book an order's fills before its finished state, so an
exit there is in flight exactly while its intent is working.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from trader.core.types import Side
from trader.execution.drafts import OrderDraft
from trader.execution.intents import Intent
from trader.execution.store import exit_working, get_intent, insert_intent
from trader.state.fill_rows import fills_of_order
from trader.state.fills import unverified_sells
from trader.state.portfolio import position_sizes

ZERO: Final = Decimal(0)

Check = Callable[[], str | None]  # why the exit may not be sent, or None


def booked(conn: sqlite3.Connection, order_id: str, filled_size: Decimal) -> bool:
    """Whether the fills stored for the order hold all of `filled_size`, its reported fill."""
    stored, _ = fills_of_order(conn, order_id)
    return stored >= filled_size


@dataclass(frozen=True, slots=True)
class ShortFills:
    """An own order that finished at the venue with fewer fills stored than it reported."""

    order_id: str
    product_id: str
    side: Side
    reported: Decimal
    stored: Decimal


def short_fills(conn: sqlite3.Connection, intents: Mapping[str, str]) -> list[ShortFills]:
    """What the intents (by venue order id) of orders whose fills are short report and hold."""
    found = []
    for order_id, intent_id in sorted(intents.items()):
        intent = get_intent(conn, intent_id)
        if intent is not None:
            stored, _ = fills_of_order(conn, order_id)
            found.append(
                ShortFills(order_id, intent.product_id, intent.side, intent.filled_size, stored)
            )
    return found


def fills_booked(conn: sqlite3.Connection, intent_id: str, order_id: str) -> bool:
    """Whether the intent's order has all the fills its reported progress counts stored."""
    intent = get_intent(conn, intent_id)
    return intent is None or booked(conn, order_id, intent.filled_size)


def unbooked_exit(conn: sqlite3.Connection, product_id: str) -> str | None:
    """The intent of a SELL of the product that finished at the venue with fills not yet
    all stored, or None. Its fills are unverified: the reconciler marks an order verified
    only once its fills are all stored."""
    for intent_id, order_id, filled in unverified_sells(conn, product_id):
        if not booked(conn, order_id, filled):
            return intent_id
    return None


def exit_in_flight(conn: sqlite3.Connection, product_id: str) -> bool:
    """True while an exit of the product is working or its fills are not all booked."""
    return exit_working(conn, product_id) or unbooked_exit(conn, product_id) is not None


def own_position(conn: sqlite3.Connection, product_id: str) -> Decimal:
    """The base size the daemon's own stored fills hold of the product."""
    return position_sizes(conn, [product_id]).get(product_id, ZERO)


def check_no_exit_in_flight(conn: sqlite3.Connection, product_id: str) -> str | None:
    if exit_working(conn, product_id):
        return f"an exit of {product_id} is still working"
    unbooked = unbooked_exit(conn, product_id)
    if unbooked is not None:
        return f"the fills of exit {unbooked} ({product_id}) are not all stored yet"
    return None


def check_within_position(
    conn: sqlite3.Connection, product_id: str, size: Decimal | None
) -> str | None:
    held = own_position(conn, product_id)
    if size is None:
        return f"a SELL of {product_id} without a base size cannot be bounded by the position"
    if size > held:
        return f"size {size} exceeds the {held} {product_id} the daemon's fills hold"
    return None


def _first(checks: Sequence[Check]) -> str | None:
    for check in checks:
        refusal = check()
        if refusal is not None:
            return refusal
    return None


def refusal(conn: sqlite3.Connection, draft: OrderDraft) -> str | None:
    """Why the drafted order may not be sent as an exit now, or None (a BUY: always None)."""
    if draft.side is not Side.SELL:
        return None
    pid = draft.product_id
    return _first(
        [
            lambda: check_no_exit_in_flight(conn, pid),
            lambda: check_within_position(conn, pid, draft.base_size),
        ]
    )


def commit(
    conn: sqlite3.Connection, intent: Intent, draft: OrderDraft, submitted_at: float | None
) -> str | None:
    """Commit the intent unless `refusal` refuses its draft, in one database call (no other
    intent is committed between the guard's reads and this write); returns the refusal."""
    why = refusal(conn, draft)
    if why is None:
        insert_intent(conn, intent, submitted_at=submitted_at)
    return why
