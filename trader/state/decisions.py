"""The decision audit rows (OPS-6, R-1): proposals, their verdicts and the universe's
exclusion changes, joinable by ids. Payloads arrive as JSON text; the caller holds the
transaction. Functions take a connection and run on the database thread (`Database.run`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProposalRow:
    proposal_id: str
    cycle_id: str
    strategy: str
    product_id: str
    side: str
    payload: str  # JSON
    created_at: float


@dataclass(frozen=True, slots=True)
class VerdictRow:
    proposal_id: str
    decision: str
    reasons: str  # JSON list of reason codes
    payload: str  # JSON
    created_at: float


def insert_proposal(conn: sqlite3.Connection, row: ProposalRow) -> None:
    conn.execute(
        "INSERT INTO proposals (proposal_id, cycle_id, strategy, product_id, side, "
        "payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            row.proposal_id,
            row.cycle_id,
            row.strategy,
            row.product_id,
            row.side,
            row.payload,
            row.created_at,
        ),
    )


def insert_verdict(conn: sqlite3.Connection, row: VerdictRow) -> None:
    conn.execute(
        "INSERT INTO verdicts (proposal_id, decision, reasons, payload, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (row.proposal_id, row.decision, row.reasons, row.payload, row.created_at),
    )


def insert_universe_change(
    conn: sqlite3.Connection, cycle_id: str, payload: str, now: float
) -> None:
    """One `universe` audit event: the exclusions a cycle added, changed or lifted (U-1)."""
    conn.execute(
        "INSERT INTO audit_events (at, kind, actor, cycle_id, payload) "
        "VALUES (?, 'universe', 'daemon', ?, ?)",
        (now, cycle_id, payload),
    )
