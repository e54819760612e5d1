"""R-3 cooldowns from real fills, persisted in SQLite with their expiry.

An entry (BUY) fill cools its product down (`cooldown_after_fill_s`). When a round trip
closes, its result — realized PnL from the open to the close, net of all fees — feeds the
consecutive-loss counter; N losses in a row pause every product; a close by a stop-loss
exit cools that product down (`cooldown_after_stop_s`). The rules themselves are the
decision core's pure functions (`trader.risk.limits`); this module only reads and writes.
"""

from __future__ import annotations

import sqlite3

from trader.config.policy import PolicyConfig
from trader.core.clock import Clock
from trader.core.risk_state import Cooldown, RiskState
from trader.core.types import Side
from trader.exchange.models import Fill
from trader.risk.limits import after_fill, record_trade_result
from trader.state.cooldowns import closed_round_trips, save_cooldowns
from trader.state.db import Database, transaction
from trader.state.portfolio import active_cooldowns, risk_counters

STOP_REASONS = ("stop_loss", "trailing_stop")


def _load(conn: sqlite3.Connection, now: float) -> RiskState:
    cooldowns = {
        pid: Cooldown(until=until, reason=reason)
        for pid, until, reason in active_cooldowns(conn, now)
    }
    return RiskState(cooldowns=cooldowns, consecutive_losses=int(risk_counters(conn)[3]))


def apply_fills(
    conn: sqlite3.Connection, fills: list[Fill], policy: PolicyConfig, now: float
) -> RiskState:
    with transaction(conn):
        state = _load(conn, now)
        for fill in sorted(fills, key=lambda f: f.trade_time):
            if fill.side is Side.BUY:
                state = after_fill(state, fill.product_id, now, policy)
        closed = closed_round_trips(conn, {f.product_id for f in fills}, STOP_REASONS)
        for product_id, result, stopped in closed:
            state = record_trade_result(state, product_id, result, now, policy, stopped_out=stopped)
        save_cooldowns(conn, state.cooldowns, state.consecutive_losses, now)
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
