"""The portfolio's rows (X-4, R-1, R-3): positions, the working orders and the exit plans
of the entries held, the risk counters, cooldowns and the entries that count as trades.

Functions take a connection and run on the database thread (`Database.run`); they return
the stored rows (money as its stored text) and leave the domain objects to their callers.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Final

from trader.execution.intents import WORKING, IntentState, state_values
from trader.state.db import transaction
from trader.state.trading_state import record_audit

# R-1 trade rate and spacing count trades: an entry (its reprices included, one proposal)
# that filled, or is still working and may fill — never one that ended unfilled. A DRY_RUN
# entry (state DRY) never learns whether it would have filled: it counts, as if it had.
TRADE_STATES: Final = state_values((IntentState.DRY, *WORKING))
ENTRIES_TRADED: Final = (
    "SELECT MIN(created_at), product_id FROM intents WHERE side = 'BUY' "
    "AND purpose IN ('entry', 'reprice') AND created_at > ? "
    "AND (filled_size != '0' "
    f"OR state IN ({','.join('?' for _ in TRADE_STATES)})) "
    "GROUP BY COALESCE(proposal_id, intent_id), product_id ORDER BY 1"
)


def realized_pnl(conn: sqlite3.Connection) -> Decimal:
    """Realized PnL over every position, net of all fees (X-4)."""
    rows = conn.execute("SELECT realized_pnl FROM positions").fetchall()
    return sum((Decimal(row[0]) for row in rows), Decimal(0))


def position_sizes(conn: sqlite3.Connection, product_ids: list[str]) -> dict[str, Decimal]:
    """Base size held per product (absent: none held)."""
    marks = ",".join("?" for _ in product_ids)
    rows = conn.execute(
        f"SELECT product_id, base_size FROM positions WHERE product_id IN ({marks})", product_ids
    )
    return {row[0]: Decimal(row[1]) for row in rows}


def held_sizes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(product id, base size text) of every position held."""
    rows = conn.execute(
        "SELECT product_id, base_size FROM positions WHERE base_size != '0'"
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def held_positions(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Rows (product_id, base_size, average_cost, opened_at) of every position held."""
    rows: list[sqlite3.Row] = conn.execute(
        "SELECT product_id, base_size, average_cost, opened_at FROM positions "
        "WHERE base_size != '0'"
    ).fetchall()
    return rows


def entry_plans(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Rows (product_id, proposal payload): for each product held, the plan of the filled
    entry with a proposal that last added to it (a buy without one, e.g. an operator's,
    leaves the earlier plan in force). One indexed lookup per held product, so the read
    costs the same after a year of trading as on the first day."""
    rows: list[sqlite3.Row] = conn.execute(
        "SELECT i.product_id, p.payload FROM positions pos "
        "JOIN intents i ON i.rowid = (SELECT j.rowid FROM intents j "
        "WHERE j.product_id = pos.product_id AND j.side = 'BUY' AND j.filled_size != '0' "
        "AND EXISTS (SELECT 1 FROM proposals q WHERE q.proposal_id = j.proposal_id) "
        "ORDER BY j.created_at DESC, j.rowid DESC LIMIT 1) "
        "JOIN proposals p ON p.proposal_id = i.proposal_id "
        "WHERE pos.base_size != '0' ORDER BY i.product_id"
    ).fetchall()
    return rows


def working_orders(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Rows (intent_id, product_id, side, base_size, filled_size, limit_price, quote_size)
    of every working intent."""
    states = state_values(WORKING)
    marks = ",".join("?" for _ in states)
    rows: list[sqlite3.Row] = conn.execute(
        "SELECT intent_id, product_id, side, base_size, filled_size, limit_price, quote_size "
        f"FROM intents WHERE state IN ({marks})",
        states,
    ).fetchall()
    return rows


def risk_counters(conn: sqlite3.Connection) -> sqlite3.Row:
    """The row (high_water_mark, day_start_equity, day, consecutive_losses)."""
    row: sqlite3.Row = conn.execute(
        "SELECT high_water_mark, day_start_equity, day, consecutive_losses "
        "FROM risk_state WHERE id = 1"
    ).fetchone()
    return row


def write_risk_counters(
    conn: sqlite3.Connection,
    high_water_mark: Decimal | None,
    day_start_equity: Decimal | None,
    day: str | None,
    now: float,
) -> None:
    conn.execute(
        "UPDATE risk_state SET high_water_mark = ?, day_start_equity = ?, day = ?, "
        "updated_at = ? WHERE id = 1",
        (
            None if high_water_mark is None else str(high_water_mark),
            None if day_start_equity is None else str(day_start_equity),
            day,
            now,
        ),
    )


def reset_high_water_mark(
    conn: sqlite3.Connection, note: str | None, actor: str, now: float
) -> str | None:
    """R-4 reset: the high-water mark cleared (the next step sets it to the equity of the
    moment), audited with the old value; returns the old value."""
    with transaction(conn):
        old = conn.execute("SELECT high_water_mark FROM risk_state WHERE id = 1").fetchone()[0]
        conn.execute(
            "UPDATE risk_state SET high_water_mark = NULL, version = version + 1, "
            "updated_at = ? WHERE id = 1",
            (now,),
        )
        payload = {"old_high_water_mark": old, "note": note}
        record_audit(conn, "hwm_reset", actor, payload, now)
    return None if old is None else str(old)


def active_cooldowns(conn: sqlite3.Connection, now: float) -> list[tuple[str, float, str]]:
    """(product id, until, reason) of the cooldowns still running at `now`, soonest first."""
    rows = conn.execute(
        "SELECT product_id, until, reason FROM cooldowns WHERE until > ? ORDER BY until", (now,)
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def purge_expired_cooldowns(conn: sqlite3.Connection, now: float) -> int:
    return int(conn.execute("DELETE FROM cooldowns WHERE until <= ?", (now,)).rowcount)


def entries_traded_since(conn: sqlite3.Connection, since: float) -> list[tuple[float, str]]:
    """(first created at, product id) of each entry that counts as a trade after `since`."""
    rows = conn.execute(ENTRIES_TRADED, (since, *TRADE_STATES)).fetchall()
    return [(row[0], row[1]) for row in rows]
