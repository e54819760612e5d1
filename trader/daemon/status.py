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

from trader.state.meta import VALUATION_KEY, read_value
from trader.state.portfolio import entry_plans, realized_pnl
from trader.state.status_queries import (
    decision_rows,
    last_cycle_row,
    latest_run_universe_payloads,
    open_order_rows,
    position_rows,
)
from trader.state.strategy_results import UNATTRIBUTED, StrategyResult, strategy_results
from trader.state.trading_state import read_status

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
        "realized_pnl": str(realized_pnl(conn)),
        "unrealized_pnl": str(unrealized),
        "positions": positions,
        "strategies": _strategies(conn, positions),
        "open_orders": _open_orders(conn),
        "last_decisions": _last_decisions(conn),
        "exclusions": _exclusions(conn),
        "last_cycle": _last_cycle(conn),
    }


def _valuation(conn: sqlite3.Connection) -> dict[str, Any]:
    stored = read_value(conn, VALUATION_KEY)
    return {} if stored is None else _decoded(stored, dict)


def _positions(conn: sqlite3.Connection, marks: dict[str, Decimal | None]) -> list[dict[str, Any]]:
    """Each open position with its mark (the last step's mid), value and unrealized PnL."""
    rows = position_rows(conn)
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


def _strategies(conn: sqlite3.Connection, positions: list[dict[str, Any]]) -> dict[str, Any]:
    """STR-5: each strategy's proposals, approvals, fills, volume, fees and realized PnL, and
    the positions it holds (by the plan of the entry that last added to each)."""
    owners = {
        row[0]: str(_decoded(row[1], dict).get("strategy_id") or "") for row in entry_plans(conn)
    }
    held: dict[str, list[str]] = {}
    for position in positions:
        owner = position["strategy"] = owners.get(position["product_id"]) or UNATTRIBUTED
        held.setdefault(owner, []).append(position["product_id"])
    results = strategy_results(conn)
    return {
        strategy: {
            "proposals": result.proposals,
            "approved": result.approved,
            "fills": result.fills,
            "volume": str(result.volume),
            "fees": str(result.fees),
            "realized_pnl": str(result.realized_pnl),
            "positions": held.get(strategy, []),
        }
        for strategy, result in sorted({**{k: StrategyResult() for k in held}, **results}.items())
    }


def _open_orders(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = open_order_rows(conn)
    for row in rows:
        row["created_at"] = iso(row["created_at"])
    return rows


def _last_decisions(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The newest verdicts: what was approved or rejected, and why (reason codes)."""
    rows = decision_rows(conn, LAST_DECISIONS)
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
    excluded: dict[str, dict[str, Any]] = {}
    for payload in latest_run_universe_payloads(conn):
        change = _decoded(payload, dict)
        for entry in change.get("excluded") or []:
            if isinstance(entry, dict) and isinstance(entry.get("product_id"), str):
                excluded[entry["product_id"]] = {k: entry.get(k) for k in ("reason", "detail")}
        for product_id in change.get("readmitted") or []:
            excluded.pop(product_id, None)
    return dict(sorted(excluded.items()))


def _last_cycle(conn: sqlite3.Connection) -> dict[str, Any] | None:
    last = last_cycle_row(conn)
    return None if last is None else with_iso_times(last)


def _decoded(text: Any, kind: type[T]) -> T:
    """A stored JSON value of the expected kind, else an empty one (never an error)."""
    try:
        value = orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError):
        return kind()
    return value if isinstance(value, kind) else kind()
