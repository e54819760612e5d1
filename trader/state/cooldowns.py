"""R-3's persisted side: cooldowns with their expiry, the consecutive-loss counter, and the
round trips closed since they were last counted (read from the positions they closed)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from decimal import Decimal

from trader.core.risk_state import Cooldown


def closed_round_trips(
    conn: sqlite3.Connection, products: set[str], stop_reasons: Sequence[str]
) -> list[tuple[str, Decimal, bool]]:
    """Round trips closed since last looked at: (product, result, closed by an exit with
    one of `stop_reasons`); each is marked seen. The exit that closed the round trip
    decides, not any earlier one: a take-profit after last week's stop-out is no stop.
    It is the order of the last SELL fill (by the venue's time, as the close is): never
    found by when our intents were placed, since the venue's clock and ours differ (a
    fill may be stamped before its order was placed by our clock). A SELL not of ours (no
    intent) is no stop."""
    found = []
    for product_id in sorted(products):
        row = conn.execute(
            "SELECT last_close_pnl, last_closed_at, results_seen_at FROM positions "
            "WHERE product_id = ?",
            (product_id,),
        ).fetchone()
        if row is None or row[1] is None or (row[2] is not None and row[1] <= row[2]):
            continue
        closing = conn.execute(  # the order of the last SELL fill by then (the venue's time)
            "SELECT i.reason FROM fills f LEFT JOIN intents i ON i.intent_id = f.intent_id "
            "WHERE f.product_id = ? AND f.side = 'SELL' AND f.trade_time <= ? "
            "ORDER BY f.trade_time DESC, f.trade_id DESC LIMIT 1",
            (product_id, row[1]),
        ).fetchone()
        stopped = closing is not None and closing[0] in stop_reasons
        found.append((product_id, Decimal(row[0]), stopped))
        conn.execute(
            "UPDATE positions SET results_seen_at = ? WHERE product_id = ?", (row[1], product_id)
        )
    return found


def save_cooldowns(
    conn: sqlite3.Connection, cooldowns: Mapping[str, Cooldown], losses: int, now: float
) -> None:
    """Each cooldown kept until the later of its stored and new expiry; the loss counter."""
    for product_id, cooldown in cooldowns.items():
        conn.execute(
            "INSERT INTO cooldowns (product_id, reason, until, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (product_id, reason) DO UPDATE SET until = MAX(until, excluded.until)",
            (product_id, cooldown.reason, cooldown.until, now),
        )
    conn.execute(
        "UPDATE risk_state SET consecutive_losses = ?, updated_at = ? WHERE id = 1",
        (losses, now),
    )
