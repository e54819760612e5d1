"""Venue orders and the intents they belong to, keyed by the venue's order id (X-4, OPS-4).

`upsert_order` keeps the `orders` row of a venue order as its reports arrive; the reads
find the intents behind venue order ids (tracker, cancel-all, adoption); `mark_cancelled`
closes the intents of cancelled orders, forward-only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from decimal import Decimal

from trader.exchange.models import OrderEvent
from trader.execution.intents import AT_THE_VENUE, IntentState, sources_for, state_values
from trader.state.db import one_write


def upsert_order(
    conn: sqlite3.Connection, event: OrderEvent, intent_id: str | None, foreign: bool, now: float
) -> None:
    with one_write(conn):
        conn.execute(
            "INSERT INTO orders (order_id, client_order_id, intent_id, product_id, side, status, "
            "filled_size, average_filled_price, total_fees, foreign_order, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET "
            "status = excluded.status, filled_size = excluded.filled_size, "
            "average_filled_price = excluded.average_filled_price, "
            "total_fees = excluded.total_fees, updated_at = excluded.updated_at",
            (
                event.order_id,
                event.client_order_id,
                intent_id,
                event.product_id,
                event.side,
                event.status,
                str(event.cumulative_quantity),
                str(event.avg_price),
                str(event.total_fees),
                int(foreign),
                now,
            ),
        )


def intent_ids_of_orders(conn: sqlite3.Connection, order_ids: Collection[str]) -> dict[str, str]:
    """venue order id -> intent id, for the orders that have an intent here."""
    if not order_ids:
        return {}
    marks = ",".join("?" for _ in order_ids)
    rows = conn.execute(
        f"SELECT exchange_order_id, intent_id FROM intents WHERE exchange_order_id IN ({marks})",
        tuple(order_ids),
    ).fetchall()
    return {row[0]: row[1] for row in rows}


def working_order_ids(conn: sqlite3.Connection) -> list[str]:
    """Venue order ids of the intents working at the venue (OPEN, PARTIALLY_FILLED)."""
    states = state_values(AT_THE_VENUE)
    marks = ",".join("?" for _ in states)
    rows = conn.execute(
        f"SELECT exchange_order_id FROM intents WHERE state IN ({marks}) "
        "AND exchange_order_id IS NOT NULL",
        states,
    ).fetchall()
    return [row[0] for row in rows]


def mark_cancelled(conn: sqlite3.Connection, order_ids: list[str], now: float) -> int:
    """One transaction for a whole batch: forward-only, so a FILLED intent stays FILLED."""
    if not order_ids:
        return 0
    marks = ",".join("?" for _ in order_ids)
    sources = sources_for(IntentState.CANCELLED)
    source_marks = ",".join("?" for _ in sources)
    with one_write(conn):
        cursor = conn.execute(
            "UPDATE intents SET state = 'CANCELLED', updated_at = ? "
            f"WHERE exchange_order_id IN ({marks}) AND state IN ({source_marks})",
            (now, *order_ids, *sources),
        )
        return int(cursor.rowcount)


def working_progress(conn: sqlite3.Connection) -> dict[str, Decimal]:
    """Filled size of every intent the database thinks is working, by venue order id."""
    states = state_values(AT_THE_VENUE)
    marks = ",".join("?" for _ in states)
    return {
        row[0]: Decimal(row[1])
        for row in conn.execute(
            "SELECT exchange_order_id, filled_size FROM intents WHERE exchange_order_id IS NOT "
            f"NULL AND state IN ({marks})",
            states,
        )
    }


def own_orders_without_intent(conn: sqlite3.Connection) -> int:
    """Own-prefixed venue orders recorded with no intent in this database."""
    row = conn.execute(
        "SELECT COUNT(*) FROM orders WHERE foreign_order = 0 AND intent_id IS NULL"
    ).fetchone()
    return int(row[0])
