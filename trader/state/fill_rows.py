"""Fill rows and the fill progress of intents (X-4, ST-1). Functions take a connection and
run on the database thread (`Database.run`). Fills are keyed by the exchange's trade id: a
fill seen twice is stored once. Progress is only ever raised (an older report is ignored),
and the fills stored for an order are the truth of what it filled.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from trader.exchange.models import Fill
from trader.state.db import one_write, transaction
from trader.state.positions import refresh_position


def record_progress(
    conn: sqlite3.Connection,
    intent_id: str,
    filled_size: Decimal,
    filled_value: Decimal,
    fees: Decimal,
    now: float,
) -> bool:
    """Raise the intent's fill progress; never lowers it (an older report is ignored)."""
    with one_write(conn):
        return _raise_progress(conn, intent_id, filled_size, filled_value, fees, now)


def _raise_progress(
    conn: sqlite3.Connection,
    intent_id: str,
    filled_size: Decimal,
    filled_value: Decimal,
    fees: Decimal,
    now: float,
) -> bool:
    row = conn.execute(
        "SELECT filled_size FROM intents WHERE intent_id = ?", (intent_id,)
    ).fetchone()
    if row is None:
        return False
    return raise_progress_past(
        conn, intent_id, Decimal(row[0]), filled_size, filled_value, fees, now
    )


def raise_progress_past(
    conn: sqlite3.Connection,
    intent_id: str,
    stored: Decimal,
    filled_size: Decimal,
    filled_value: Decimal,
    fees: Decimal,
    now: float,
) -> bool:
    """`record_progress` for a caller inside a transaction that has read the intent's
    stored filled size itself (`stored`). Progress raised leaves the order's fills to be
    verified again: more is reported filled than was verified stored."""
    if stored >= filled_size:
        return False
    conn.execute(
        "UPDATE intents SET filled_size = ?, filled_value = ?, fees = ?, updated_at = ?, "
        "fills_verified = 0 WHERE intent_id = ?",
        (str(filled_size), str(filled_value), str(fees), now, intent_id),
    )
    return True


def progress_from_fills(
    conn: sqlite3.Connection, order_id: str, intent_id: str, now: float
) -> bool:
    """X-4: the fills stored for an order are the truth of what it filled — the intent's
    progress is raised to them, whatever order updates were missed (a dropped update, a
    process that stopped between a fill and its update, a cancel recorded first)."""
    size, value, fees = Decimal(0), Decimal(0), Decimal(0)
    for price, filled, commission in conn.execute(
        "SELECT price, size, commission FROM fills WHERE order_id = ?", (order_id,)
    ):
        size += Decimal(filled)
        value += Decimal(price) * Decimal(filled)
        fees += Decimal(commission)
    raised = _raise_progress(conn, intent_id, size, value, fees, now)
    _verify_if_complete(conn, intent_id, size)
    return raised


def _verify_if_complete(conn: sqlite3.Connection, intent_id: str, stored: Decimal) -> None:
    """X-4: an order whose stored fills hold all of its base size, and all its order
    reported filled, has every fill it can have (booking refuses a fill past the ordered
    size): its fills are verified at once. The reconciler then does not ask the venue for
    them again, and the exit guard's search for finished exits with fills outstanding
    stays among the few partly filled ones — in a backtest, which has no reconciler, it
    would otherwise grow with every exit. A later report of more filled than the fills
    stored makes them unverified again (`raise_progress_past`)."""
    row = conn.execute(
        "SELECT base_size, filled_size FROM intents WHERE intent_id = ? AND fills_verified = 0",
        (intent_id,),
    ).fetchone()
    if row is None or row[0] is None:
        return
    if Decimal(row[0]) == stored and Decimal(row[1]) <= stored:
        conn.execute("UPDATE intents SET fills_verified = 1 WHERE intent_id = ?", (intent_id,))


def insert_fills(
    conn: sqlite3.Connection, fills: list[Fill], intent_ids: dict[str, str], source: str, now: float
) -> list[Fill]:
    """Store fills not seen before (keyed by trade id); return the new ones."""
    fresh: list[Fill] = []
    with transaction(conn):
        for fill in fills:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO fills (trade_id, order_id, intent_id, product_id, side, "
                "price, size, commission, liquidity, trade_time, source, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fill.trade_id,
                    fill.order_id,
                    intent_ids.get(fill.order_id),
                    fill.product_id,
                    fill.side.value,
                    str(fill.price),
                    str(fill.size),
                    str(fill.commission),
                    fill.liquidity,
                    fill.trade_time,
                    source,
                    now,
                ),
            )
            if cursor.rowcount == 1:
                fresh.append(fill)
        for product_id in sorted({fill.product_id for fill in fresh}):
            mine = [fill for fill in fresh if fill.product_id == product_id]
            refresh_position(conn, product_id, now, mine)
        for order_id in {fill.order_id for fill in fresh}:
            intent_id = intent_ids.get(order_id)
            if intent_id is not None:
                progress_from_fills(conn, order_id, intent_id, now)
    return fresh


def fills_of_order(conn: sqlite3.Connection, order_id: str) -> tuple[Decimal, Decimal]:
    """(size, commission) stored for one exchange order."""
    rows = conn.execute(
        "SELECT size, commission FROM fills WHERE order_id = ?", (order_id,)
    ).fetchall()
    size = sum((Decimal(r[0]) for r in rows), Decimal(0))
    fees = sum((Decimal(r[1]) for r in rows), Decimal(0))
    return size, fees
