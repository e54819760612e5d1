"""The pipeline's stages as the daemon runs them each cycle.

market data → universe → triggers → strategies → risk → execution → exits, each stage
a small package with one job. Stages join this list as their packages land; until a
stage exists it is absent, never faked.
"""

from __future__ import annotations

import sqlite3
import time

import structlog

from trader.daemon.cycle import CycleContext, Stage
from trader.daemon.status import OPEN_INTENT_STATES
from trader.state.db import Database

log = structlog.get_logger("trader.pipeline")


def build_stages(db: Database) -> list[Stage]:
    async def housekeeping(ctx: CycleContext) -> None:
        purged = await db.run(lambda conn: purge_expired_cooldowns(conn, ctx.started_at))
        if purged:
            log.info("cooldowns_expired", count=purged, cycle_id=ctx.cycle_id)

    return [Stage("housekeeping", housekeeping)]


def purge_expired_cooldowns(conn: sqlite3.Connection, now: float) -> int:
    return int(conn.execute("DELETE FROM cooldowns WHERE until <= ?", (now,)).rowcount)


def count_open_orders(conn: sqlite3.Connection) -> int:
    placeholders = ",".join("?" for _ in OPEN_INTENT_STATES)
    row = conn.execute(
        f"SELECT COUNT(*) FROM intents WHERE state IN ({placeholders}) AND mode != 'DRY_RUN'",
        OPEN_INTENT_STATES,
    ).fetchone()
    return int(row[0])


async def cancel_all_open_orders(db: Database, reason: str) -> int:
    """OPS-4 cancel-all hook. DRY_RUN never sends an order, so it has nothing to cancel;
    the execution engine replaces this with real cancels of every own open order."""
    started = time.perf_counter()
    open_orders = await db.run(count_open_orders)
    if open_orders:
        log.critical(
            "cancel_all_without_execution_engine",
            reason=reason,
            open_orders=open_orders,
        )
        return 0
    log.warning(
        "cancel_all_nothing_open", reason=reason, seconds=round(time.perf_counter() - started, 6)
    )
    return 0
