"""R-3 cooldowns from real fills, persisted in SQLite with their expiry.

An entry (BUY) fill cools its product down (`cooldown_after_fill_s`). When a round trip
closes, its result — realized PnL from the open to the close, net of all fees — feeds the
consecutive-loss counter; N losses in a row pause every product; a close by a stop-loss
exit cools that product down (`cooldown_after_stop_s`). The rules themselves are the
decision core's pure functions (`trader.risk.limits`); this module only reads and writes.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from trader.config.policy import PolicyConfig
from trader.core.clock import Clock
from trader.core.risk_state import Cooldown, RiskState
from trader.core.types import Side
from trader.exchange.models import Fill
from trader.risk.limits import after_fill, record_trade_result
from trader.state.db import Database, transaction

STOP_REASONS = ("stop_loss", "trailing_stop")


def _load(conn: sqlite3.Connection, now: float) -> RiskState:
    cooldowns = {
        row[0]: Cooldown(until=row[1], reason=row[2])
        for row in conn.execute(
            "SELECT product_id, until, reason FROM cooldowns WHERE until > ? ORDER BY until", (now,)
        )
    }
    losses = conn.execute("SELECT consecutive_losses FROM risk_state WHERE id = 1").fetchone()[0]
    return RiskState(cooldowns=cooldowns, consecutive_losses=int(losses))


def _closed_round_trips(
    conn: sqlite3.Connection, products: set[str]
) -> list[tuple[str, Decimal, bool]]:
    """Round trips closed since last looked at: (product, result, closed by a stop)."""
    found = []
    for product_id in sorted(products):
        row = conn.execute(
            "SELECT last_close_pnl, last_closed_at, results_seen_at FROM positions "
            "WHERE product_id = ?",
            (product_id,),
        ).fetchone()
        if row is None or row[1] is None or (row[2] is not None and row[1] <= row[2]):
            continue
        marks = ",".join("?" for _ in STOP_REASONS)
        stop = conn.execute(
            f"SELECT 1 FROM intents WHERE product_id = ? AND side = 'SELL' AND reason IN ({marks}) "
            "AND filled_size != '0' AND created_at <= ? ORDER BY created_at DESC LIMIT 1",
            (product_id, *STOP_REASONS, row[1]),
        ).fetchone()
        found.append((product_id, Decimal(row[0]), stop is not None))
        conn.execute(
            "UPDATE positions SET results_seen_at = ? WHERE product_id = ?", (row[1], product_id)
        )
    return found


def apply_fills(
    conn: sqlite3.Connection, fills: list[Fill], policy: PolicyConfig, now: float
) -> RiskState:
    with transaction(conn):
        state = _load(conn, now)
        for fill in sorted(fills, key=lambda f: f.trade_time):
            if fill.side is Side.BUY:
                state = after_fill(state, fill.product_id, now, policy)
        for product_id, result, stopped in _closed_round_trips(conn, {f.product_id for f in fills}):
            state = record_trade_result(state, product_id, result, now, policy, stopped_out=stopped)
        for product_id, cooldown in state.cooldowns.items():
            conn.execute(
                "INSERT INTO cooldowns (product_id, reason, until, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (product_id, reason) DO UPDATE SET until = MAX(until, excluded.until)",
                (product_id, cooldown.reason, cooldown.until, now),
            )
        conn.execute(
            "UPDATE risk_state SET consecutive_losses = ?, updated_at = ? WHERE id = 1",
            (state.consecutive_losses, now),
        )
    return state


class CooldownRecorder:
    """A tracker fill listener (see `OrderTracker.fill_listeners`)."""

    def __init__(self, db: Database, policy: PolicyConfig, clock: Clock) -> None:
        self.db = db
        self.policy = policy
        self._clock = clock

    async def on_fills(self, fills: list[Fill]) -> None:
        now = self._clock()
        await self.db.run(lambda conn: apply_fills(conn, fills, self.policy, now))
