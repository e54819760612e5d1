"""The daemon's own stages, and what a cancel-all does before the venue is connected.

The trading stages (inputs → limits → universe → triggers → strategies → risk → exits →
record → execution) join the cycle once the trading runtime has started
(`trader.daemon.trading.runtime`); housekeeping runs from the first cycle on.
"""

from __future__ import annotations

import structlog

from trader.daemon.cycle import CycleContext, Stage
from trader.execution.store import count_open_orders
from trader.state.db import Database
from trader.state.portfolio import purge_expired_cooldowns

log = structlog.get_logger("trader.pipeline")


def build_stages(db: Database) -> list[Stage]:
    async def housekeeping(ctx: CycleContext) -> None:
        purged = await db.run(lambda conn: purge_expired_cooldowns(conn, ctx.started_at))
        if purged:
            log.info("cooldowns_expired", count=purged, cycle_id=ctx.cycle_id)

    return [Stage("housekeeping", housekeeping)]


async def defer_cancel_all(db: Database, reason: str) -> int:
    """OPS-4 before the venue is connected: nothing can be cancelled yet, so nothing is
    (returns 0). Own orders still open are named in a critical line; the halt that asked is
    acted on when the trading runtime starts — it cancels everything then."""
    open_orders = await db.run(count_open_orders)
    if open_orders:
        log.critical("cancel_all_waits_for_the_venue", reason=reason, open_orders=open_orders)
    else:
        log.warning("cancel_all_nothing_open", reason=reason)
    return 0
