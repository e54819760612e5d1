"""The `/status` document (OPS-5), built from SQLite so the running daemon and
`trader status` (when the daemon is down) report the very same thing.

Money is Decimal, written as its exact text; times are ISO 8601 UTC (`..._at`), with the
epoch seconds beside them where a tool may want to compute (`..._ts`).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import orjson

from trader.state.trading_state import read_status

OPEN_INTENT_STATES = ("NEW", "SUBMITTING", "OPEN", "PARTIALLY_FILLED")
VALUATION_KEY = "valuation"  # written by each decision step (trading/record.py)
LAST_DECISIONS = 10
T = TypeVar("T", dict[str, Any], list[Any])


def iso(ts: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC (None stays None)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def with_iso_times(record: dict[str, Any]) -> dict[str, Any]:
    """A copy with its epoch-second `*_at` values as ISO text."""
    return {
        k: iso(v) if k.endswith("_at") and isinstance(v, int | float) else v
        for k, v in record.items()
    }


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(sql, params).fetchall()]


def _decimal(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text)) if text is not None else None
    except InvalidOperation:
        return None


def state_document(conn: sqlite3.Connection) -> dict[str, Any]:
    """Trading state, valuation, positions at mark, open orders, the last decisions, the
    universe's exclusions and the last cycle, as stored."""
    status = read_status(conn)
    valuation = _valuation(conn)
    marks = {pid: _decimal(v) for pid, v in (valuation.get("marks") or {}).items()}
    positions = _positions(conn, marks)
    unrealized = sum(
        (Decimal(p["unrealized_pnl"]) for p in positions if p["unrealized_pnl"]), Decimal(0)
    )
    return {
        "state": status.state.value,
        "halt_reason": status.halt_reason,
        "halt_detail": status.halt_detail,
        "halted_at": iso(status.halted_at),
        "equity": valuation.get("equity"),
        "quote_cash": valuation.get("quote_cash"),
        "quote_currency": valuation.get("quote_currency"),
        "balances_known": valuation.get("balances_known"),
        "valued_at": iso(valuation.get("at")),
        "realized_pnl": _sum_text(conn, "SELECT realized_pnl FROM positions"),
        "unrealized_pnl": str(unrealized),
        "positions": positions,
        "open_orders": _open_orders(conn),
        "last_decisions": _last_decisions(conn),
        "exclusions": _exclusions(conn),
        "last_cycle": _last_cycle(conn),
    }


def _valuation(conn: sqlite3.Connection) -> dict[str, Any]:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (VALUATION_KEY,)).fetchone()
    return {} if row is None else _decoded(row[0], dict)


def _positions(conn: sqlite3.Connection, marks: dict[str, Decimal | None]) -> list[dict[str, Any]]:
    """Each open position with its mark (the last step's mid), value and unrealized PnL."""
    rows = _rows(
        conn,
        "SELECT product_id, base_size, average_cost, realized_pnl, fees_paid, opened_at "
        "FROM positions WHERE base_size != '0' ORDER BY product_id",
    )
    for row in rows:
        size, cost, mark = (
            Decimal(row["base_size"]),
            Decimal(row["average_cost"]),
            marks.get(row["product_id"]),
        )
        row["opened_at"] = iso(row["opened_at"])
        row["mark"] = None if mark is None else str(mark)
        row["value"] = None if mark is None else str(size * mark)
        row["unrealized_pnl"] = None if mark is None else str((mark - cost) * size)
    return rows


def _open_orders(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    placeholders = ",".join("?" for _ in OPEN_INTENT_STATES)
    rows = _rows(
        conn,
        "SELECT intent_id, client_order_id, exchange_order_id, product_id, side, purpose, "
        "state, base_size, limit_price, filled_size, created_at FROM intents "
        f"WHERE state IN ({placeholders}) AND mode != 'DRY_RUN' ORDER BY created_at",
        OPEN_INTENT_STATES,
    )
    for row in rows:
        row["created_at"] = iso(row["created_at"])
    return rows


def _last_decisions(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The newest verdicts: what was approved or rejected, and why (reason codes)."""
    rows = _rows(
        conn,
        "SELECT p.proposal_id, p.strategy, p.product_id, p.side, v.decision, v.reasons, "
        "v.payload, v.created_at FROM verdicts v JOIN proposals p USING (proposal_id) "
        "ORDER BY v.created_at DESC, p.proposal_id DESC LIMIT ?",
        (LAST_DECISIONS,),
    )
    decisions = []
    for row in rows:
        payload = _decoded(row.pop("payload"), dict)
        decisions.append(
            {
                **row,
                "reasons": _decoded(row["reasons"], list),
                "notional": payload.get("notional"),
                "price": payload.get("price"),
                "at": iso(row.pop("created_at")),
            }
        )
    return decisions


def _exclusions(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Products the universe excludes now, by product (reason code and detail): the
    exclusion changes the latest run logged (U-1), folded in order. An earlier run's are
    not read: a run's first refresh logs every exclusion it finds."""
    latest = conn.execute(
        "SELECT cycle_id FROM audit_events WHERE kind = 'universe' ORDER BY event_id DESC LIMIT 1"
    ).fetchone()
    if latest is None:
        return {}
    rows = conn.execute(
        "SELECT payload FROM audit_events WHERE kind = 'universe' AND cycle_id LIKE ? "
        "ORDER BY event_id",
        (f"%-{_run_tag(latest[0])}",),
    ).fetchall()
    excluded: dict[str, dict[str, Any]] = {}
    for (payload,) in rows:
        change = _decoded(payload, dict)
        for entry in change.get("excluded") or []:
            if isinstance(entry, dict) and isinstance(entry.get("product_id"), str):
                excluded[entry["product_id"]] = {k: entry.get(k) for k in ("reason", "detail")}
        for product_id in change.get("readmitted") or []:
            excluded.pop(product_id, None)
    return dict(sorted(excluded.items()))


def _run_tag(cycle_id: str | None) -> str:
    return (cycle_id or "").rsplit("-", 1)[-1]


def _last_cycle(conn: sqlite3.Connection) -> dict[str, Any] | None:
    last = _rows(
        conn,
        "SELECT cycle_id, started_at, finished_at, status, error, config_hash "
        "FROM cycles ORDER BY started_at DESC LIMIT 1",
    )
    if not last:
        return None
    return with_iso_times(last[0])


def _decoded(text: Any, kind: type[T]) -> T:
    """A stored JSON value of the expected kind, else an empty one (never an error)."""
    try:
        value = orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError):
        return kind()
    return value if isinstance(value, kind) else kind()


def _sum_text(conn: sqlite3.Connection, sql: str) -> str:
    total = sum((Decimal(row[0]) for row in conn.execute(sql).fetchall()), Decimal(0))
    return str(total)
