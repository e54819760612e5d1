"""Persisted trading state (OPS-4, R-4): ACTIVE / REDUCING / HALTED with reason and time
(`halt_reason` names why trading is REDUCING or HALTED).

Each change bumps `version` and leaves an audit event, so the daemon can notice changes
made by the operator's commands (`trader resume`) and anyone can see who did what.
These functions take a connection; the daemon calls them through `Database.run`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from trader.core.types import TradingState
from trader.state.db import transaction


@dataclass(frozen=True, slots=True)
class TradingStatus:
    state: TradingState
    halt_reason: str | None
    halt_detail: str | None
    halted_at: float | None
    version: int
    updated_at: float


def read_status(conn: sqlite3.Connection) -> TradingStatus:
    row = conn.execute(
        "SELECT trading_state, halt_reason, halt_detail, halted_at, version, updated_at "
        "FROM risk_state WHERE id = 1"
    ).fetchone()
    return TradingStatus(
        state=TradingState(row["trading_state"]),
        halt_reason=row["halt_reason"],
        halt_detail=row["halt_detail"],
        halted_at=row["halted_at"],
        version=row["version"],
        updated_at=row["updated_at"],
    )


def record_audit(
    conn: sqlite3.Connection,
    kind: str,
    actor: str,
    payload: dict[str, Any],
    now: float,
    *,
    cycle_id: str | None = None,
    ref_id: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO audit_events (at, kind, actor, cycle_id, ref_id, payload) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (now, kind, actor, cycle_id, ref_id, orjson.dumps(payload).decode()),
    )


def halt(
    conn: sqlite3.Connection, reason: str, detail: str | None, now: float, actor: str
) -> TradingStatus:
    """Move to HALTED with `reason` (the latest cause wins; every cause is audited)."""
    with transaction(conn):
        before = read_status(conn)
        conn.execute(
            "UPDATE risk_state SET trading_state = 'HALTED', halt_reason = ?, halt_detail = ?, "
            "halted_at = COALESCE(CASE WHEN trading_state = 'HALTED' THEN halted_at END, ?), "
            "version = version + 1, updated_at = ? WHERE id = 1",
            (reason, detail, now, now),
        )
        record_audit(
            conn,
            "halt",
            actor,
            {"reason": reason, "detail": detail, "from": before.state.value},
            now,
        )
        return read_status(conn)


def reduce(
    conn: sqlite3.Connection, reason: str, detail: str | None, now: float, actor: str
) -> TradingStatus:
    """Move to REDUCING with `reason` (R-4: a loss limit; exits go on). HALTED stays HALTED."""
    with transaction(conn):
        before = read_status(conn)
        if before.state is TradingState.HALTED:
            return before
        conn.execute(
            "UPDATE risk_state SET trading_state = 'REDUCING', halt_reason = ?, halt_detail = ?, "
            "halted_at = ?, version = version + 1, updated_at = ? WHERE id = 1",
            (reason, detail, now, now),
        )
        record_audit(
            conn,
            "reduce",
            actor,
            {"reason": reason, "detail": detail, "from": before.state.value},
            now,
        )
        return read_status(conn)


def set_state(
    conn: sqlite3.Connection, state: TradingState, now: float, actor: str, note: str | None = None
) -> TradingStatus:
    """Move to ACTIVE or REDUCING, clearing any halt (operator resume, or auto-resume)."""
    if state is TradingState.HALTED:
        raise ValueError("use halt() to move to HALTED: it needs a reason")
    with transaction(conn):
        before = read_status(conn)
        conn.execute(
            "UPDATE risk_state SET trading_state = ?, halt_reason = NULL, halt_detail = NULL, "
            "halted_at = NULL, version = version + 1, updated_at = ? WHERE id = 1",
            (state.value, now),
        )
        record_audit(
            conn,
            "state_change",
            actor,
            {
                "from": before.state.value,
                "to": state.value,
                "previous_halt_reason": before.halt_reason,
                "note": note,
            },
            now,
        )
        return read_status(conn)
