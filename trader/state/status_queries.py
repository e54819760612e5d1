"""The reads behind the operator's status document (OPS-5): positions held, open orders,
the newest decisions, the latest run's universe events and the last cycle, as stored
rows (dicts keyed by column). The document itself is built in `trader.daemon.status`."""

from __future__ import annotations

import sqlite3
from typing import Any

from trader.execution.intents import WORKING, state_values


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sql, params).fetchall()]


def position_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every position held, by product."""
    return _rows(
        conn,
        "SELECT product_id, base_size, average_cost, realized_pnl, fees_paid, opened_at "
        "FROM positions WHERE base_size != '0' ORDER BY product_id",
    )


def open_order_rows(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Working intents of the modes that send, oldest first."""
    states = state_values(WORKING)
    marks = ",".join("?" for _ in states)
    return _rows(
        conn,
        "SELECT intent_id, client_order_id, exchange_order_id, product_id, side, purpose, "
        "state, base_size, limit_price, filled_size, created_at FROM intents "
        f"WHERE state IN ({marks}) AND mode != 'DRY_RUN' ORDER BY created_at",
        states,
    )


def decision_rows(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` verdicts with their proposals, newest first."""
    return _rows(
        conn,
        "SELECT p.proposal_id, p.strategy, p.product_id, p.side, v.decision, v.reasons, "
        "v.payload, v.created_at FROM verdicts v JOIN proposals p USING (proposal_id) "
        "ORDER BY v.created_at DESC, p.proposal_id DESC LIMIT ?",
        (limit,),
    )


def latest_run_universe_payloads(conn: sqlite3.Connection) -> list[str]:
    """The payloads of the `universe` audit events the latest run logged, in order (the
    run is the newest event's; a run's cycle ids end in its tag)."""
    latest = conn.execute(
        "SELECT cycle_id FROM audit_events WHERE kind = 'universe' ORDER BY event_id DESC LIMIT 1"
    ).fetchone()
    if latest is None:
        return []
    rows = conn.execute(
        "SELECT payload FROM audit_events WHERE kind = 'universe' AND cycle_id LIKE ? "
        "ORDER BY event_id",
        (f"%-{_run_tag(latest[0])}",),
    ).fetchall()
    return [row[0] for row in rows]


def _run_tag(cycle_id: str | None) -> str:
    return (cycle_id or "").rsplit("-", 1)[-1]


def last_cycle_row(conn: sqlite3.Connection) -> dict[str, Any] | None:
    last = _rows(
        conn,
        "SELECT cycle_id, started_at, finished_at, status, error, config_hash "
        "FROM cycles ORDER BY started_at DESC LIMIT 1",
    )
    return last[0] if last else None
