"""The `/status` document (OPS-5), built from SQLite so the running daemon and
`trader status` (when the daemon is down) report the very same thing.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

from trader.state.trading_state import read_status

OPEN_INTENT_STATES = ("NEW", "SUBMITTING", "OPEN", "PARTIALLY_FILLED")


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sql, params).fetchall()]


def state_document(conn: sqlite3.Connection) -> dict[str, Any]:
    """Trading state, positions, open orders and the last cycle, as stored."""
    status = read_status(conn)
    placeholders = ",".join("?" for _ in OPEN_INTENT_STATES)
    last = _rows(
        conn,
        "SELECT cycle_id, started_at, finished_at, status, error, config_hash "
        "FROM cycles ORDER BY started_at DESC LIMIT 1",
    )
    return {
        "state": status.state.value,
        "halt_reason": status.halt_reason,
        "halt_detail": status.halt_detail,
        "halted_at": status.halted_at,
        "positions": _rows(
            conn,
            "SELECT product_id, base_size, average_cost, realized_pnl, fees_paid, opened_at "
            "FROM positions WHERE base_size != '0' ORDER BY product_id",
        ),
        "open_orders": _rows(
            conn,
            "SELECT intent_id, client_order_id, exchange_order_id, product_id, side, purpose, "
            "state, base_size, limit_price, filled_size FROM intents "
            f"WHERE state IN ({placeholders}) AND mode != 'DRY_RUN' ORDER BY created_at",
            OPEN_INTENT_STATES,
        ),
        "realized_pnl": _sum_text(conn, "SELECT realized_pnl FROM positions"),
        "last_cycle": last[0] if last else None,
    }


def _sum_text(conn: sqlite3.Connection, sql: str) -> str:
    total = sum((Decimal(row[0]) for row in conn.execute(sql).fetchall()), Decimal(0))
    return str(total)
