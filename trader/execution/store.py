"""Intent and order rows (X-1, X-4, ST-1). Functions take a connection and run on the
database thread (`Database.run`); each write is one short transaction.

Every state change is a guarded UPDATE (`WHERE state IN (allowed sources)`), so two
reporters racing (the create response and the user channel) can never move an intent
backwards. Fills and fill progress are in
`trader.state.fill_rows`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import orjson

from trader.core.orders import TERMINAL_STATUSES
from trader.core.types import SIDES, Side
from trader.execution.intents import (
    INTENT_STATES,
    LIVE_STATES,
    PURPOSES,
    WORKING,
    Intent,
    IntentState,
    Purpose,
    sources_for,
    state_values,
)
from trader.state.db import one_write, transaction

INTENT_COLUMNS: Final = (
    "intent_id, client_order_id, proposal_id, cycle_id, mode, purpose, product_id, side, "
    "order_configuration, base_size, quote_size, limit_price, state, exchange_order_id, "
    "filled_size, filled_value, fees, reject_reason, created_at, updated_at, request_body, "
    "attempts, parent_intent_id, expires_at, reason, strategy"
)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def insert_intent(
    conn: sqlite3.Connection, intent: Intent, submitted_at: float | None = None
) -> None:
    """Commit a new intent (X-1: before any request is sent for it)."""
    with one_write(conn):
        conn.execute(
            f"INSERT INTO intents ({INTENT_COLUMNS}, submitted_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                intent.intent_id,
                intent.client_order_id,
                intent.proposal_id,
                intent.cycle_id,
                intent.mode,
                intent.purpose.value,
                intent.product_id,
                intent.side.value,
                intent.order_configuration,
                _text(intent.base_size),
                _text(intent.quote_size),
                _text(intent.limit_price),
                intent.state.value,
                intent.exchange_order_id,
                str(intent.filled_size),
                str(intent.filled_value),
                str(intent.fees),
                intent.reject_reason,
                intent.created_at,
                intent.created_at,
                intent.request_body.decode(),
                intent.attempts,
                intent.parent_intent_id,
                intent.expires_at,
                intent.reason,
                intent.strategy,
                submitted_at,
            ),
        )


def row_to_intent(row: sqlite3.Row) -> Intent:
    return Intent(
        intent_id=row["intent_id"],
        client_order_id=row["client_order_id"],
        mode=row["mode"],
        purpose=PURPOSES.get(row["purpose"]) or Purpose(row["purpose"]),
        product_id=row["product_id"],
        side=SIDES.get(row["side"]) or Side(row["side"]),
        order_configuration=row["order_configuration"],
        request_body=(row["request_body"] or "").encode(),
        base_size=_dec(row["base_size"]),
        quote_size=_dec(row["quote_size"]),
        limit_price=_dec(row["limit_price"]),
        state=INTENT_STATES.get(row["state"]) or IntentState(row["state"]),
        created_at=row["created_at"],
        cycle_id=row["cycle_id"],
        proposal_id=row["proposal_id"],
        parent_intent_id=row["parent_intent_id"],
        expires_at=row["expires_at"],
        exchange_order_id=row["exchange_order_id"],
        filled_size=Decimal(row["filled_size"]),
        filled_value=Decimal(row["filled_value"]),
        fees=Decimal(row["fees"]),
        attempts=row["attempts"],
        reject_reason=row["reject_reason"],
        reason=row["reason"],
        strategy=row["strategy"],
    )


def get_intent(conn: sqlite3.Connection, intent_id: str) -> Intent | None:
    row = conn.execute(
        f"SELECT {INTENT_COLUMNS} FROM intents WHERE intent_id = ?", (intent_id,)
    ).fetchone()
    return row_to_intent(row) if row else None


def intent_by_client_id(conn: sqlite3.Connection, client_order_id: str) -> Intent | None:
    row = conn.execute(
        f"SELECT {INTENT_COLUMNS} FROM intents WHERE client_order_id = ?", (client_order_id,)
    ).fetchone()
    return row_to_intent(row) if row else None


@dataclass(frozen=True, slots=True)
class Standing:
    """What an own-order event needs of its intent (`intent_by_client_id` reads all of it)."""

    intent_id: str
    state: IntentState
    exchange_order_id: str | None
    filled_size: Decimal


def standing_by_client_id(conn: sqlite3.Connection, client_order_id: str) -> Standing | None:
    row = conn.execute(
        "SELECT intent_id, state, exchange_order_id, filled_size FROM intents "
        "WHERE client_order_id = ?",
        (client_order_id,),
    ).fetchone()
    if row is None:
        return None
    state = INTENT_STATES.get(row[1]) or IntentState(row[1])
    return Standing(row[0], state, row[2], Decimal(row[3]))


def intents_in(conn: sqlite3.Connection, states: tuple[IntentState, ...]) -> list[Intent]:
    marks = ",".join("?" for _ in states)
    rows = conn.execute(
        f"SELECT {INTENT_COLUMNS} FROM intents WHERE state IN ({marks}) ORDER BY created_at",
        tuple(s.value for s in states),
    ).fetchall()
    return [row_to_intent(row) for row in rows]


def live_intents(conn: sqlite3.Connection) -> list[Intent]:
    return intents_in(conn, LIVE_STATES)


def move(
    conn: sqlite3.Connection,
    intent_id: str,
    target: IntentState,
    now: float,
    **fields: Any,
) -> bool:
    """Forward-only transition; also sets `fields`. False when the intent was already there
    or beyond (a stale report), which is not an error."""
    sources = sources_for(target)
    assignments = "".join(f", {name} = ?" for name in fields)
    marks = ",".join("?" for _ in sources)
    with one_write(conn):
        cursor = conn.execute(
            f"UPDATE intents SET state = ?, updated_at = ?{assignments} "
            f"WHERE intent_id = ? AND state IN ({marks})",
            (target.value, now, *fields.values(), intent_id, *sources),
        )
        return cursor.rowcount == 1


def overrule_rejection(conn: sqlite3.Connection, intent_id: str, order_id: str, now: float) -> bool:
    """The venue holds an order for an intent recorded as REJECTED: the venue is the truth.
    The intent reopens as OPEN (the venue's report then moves it on), audited (X-7)."""
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE intents SET state = 'OPEN', exchange_order_id = ?, updated_at = ?, "
            "last_error = 'rejection overruled: the venue holds order ' || ? "
            "WHERE intent_id = ? AND state = 'REJECTED'",
            (order_id, now, order_id, intent_id),
        )
        if cursor.rowcount != 1:
            return False
        conn.execute(
            "INSERT INTO audit_events (at, kind, actor, ref_id, payload) VALUES (?, ?, ?, ?, ?)",
            (
                now,
                "rejection_overruled",
                "tracker",
                intent_id,
                orjson.dumps({"order_id": order_id}).decode(),
            ),
        )
        return True


def update_fields(conn: sqlite3.Connection, intent_id: str, now: float, **fields: Any) -> None:
    """Set non-state fields (exchange order id, attempts, progress) without a transition."""
    assignments = ", ".join(f"{name} = ?" for name in fields)
    with one_write(conn):
        conn.execute(
            f"UPDATE intents SET {assignments}, updated_at = ? WHERE intent_id = ?",
            (*fields.values(), now, intent_id),
        )


def note_outcome_unknown(conn: sqlite3.Connection, intent_id: str, cause: str, now: float) -> None:
    """Keep why a send's outcome is unknown (the intent stays where it is)."""
    conn.execute(
        "UPDATE intents SET last_error = ?, updated_at = ? WHERE intent_id = ?",
        (cause[:500], now, intent_id),
    )


def count_attempt(conn: sqlite3.Connection, intent_id: str, now: float) -> None:
    """One more send of the intent's request (a resend)."""
    conn.execute(
        "UPDATE intents SET attempts = attempts + 1, updated_at = ? WHERE intent_id = ?",
        (now, intent_id),
    )


def exit_working(conn: sqlite3.Connection, product_id: str) -> bool:
    """True when a SELL for the product is still working. The side is tested on the rows
    (`+side`), not searched by: searched by product and side, SQLite would pick the
    entries' index and walk every SELL the product ever had; by product and state it
    reads only the working ones."""
    states = state_values(WORKING)
    marks = ",".join("?" for _ in states)
    row = conn.execute(
        "SELECT 1 FROM intents WHERE product_id = ? AND +side = 'SELL' "
        f"AND state IN ({marks}) LIMIT 1",
        (product_id, *states),
    ).fetchone()
    return row is not None


def count_open_orders(conn: sqlite3.Connection, working: Iterable[IntentState] = WORKING) -> int:
    """Intents in `working` states, of the modes that send (a DRY_RUN intent is never at a
    venue)."""
    states = state_values(working)
    marks = ",".join("?" for _ in states)
    row = conn.execute(
        f"SELECT COUNT(*) FROM intents WHERE state IN ({marks}) AND mode != 'DRY_RUN'",
        states,
    ).fetchone()
    return int(row[0])


def close_working(conn: sqlite3.Connection, reason: str, now: float) -> int:
    """Close every working intent as CANCELLED with `reason`, and its venue orders with it
    (the audit trail must not show them working); returns how many intents closed."""
    states = state_values(WORKING)
    marks = ",".join("?" for _ in states)
    final = sorted(s.value for s in TERMINAL_STATUSES)
    final_marks = ",".join("?" for _ in final)
    with transaction(conn):
        conn.execute(
            "UPDATE orders SET status = 'CANCELLED', updated_at = ? WHERE intent_id IN "
            f"(SELECT intent_id FROM intents WHERE state IN ({marks})) "
            f"AND status NOT IN ({final_marks})",
            (now, *states, *final),
        )
        cursor = conn.execute(
            "UPDATE intents SET state = 'CANCELLED', reject_reason = ?, updated_at = ? "
            f"WHERE state IN ({marks})",
            (reason, now, *states),
        )
        return int(cursor.rowcount)
