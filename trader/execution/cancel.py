"""Cancel-all (OPS-4, X-5): every own open order, batched ≤ 100 ids, until the venue agrees.

Targets are the union of what the database knows to be working and what the venue lists
as OPEN with our client-id prefix — so an order whose create answer was lost is cancelled
too. Intents still SUBMITTING are resolved first (a resolved order is then a target).
A cancel answered `ORDER_IS_FULLY_FILLED` is a fill, never a cancel.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence

import structlog

from trader.exchange.interface import Exchange
from trader.exchange.models import CancelResult
from trader.execution.ids import OrderIds
from trader.execution.intents import IntentState, sources_for
from trader.execution.metrics import ExecutionMetrics
from trader.execution.tracker import OrderTracker
from trader.state.db import Database, transaction

log = structlog.get_logger("trader.execution")

BATCH = 100
FULLY_FILLED = "ORDER_IS_FULLY_FILLED"


def chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _working_order_ids(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT exchange_order_id FROM intents WHERE state IN ('OPEN', 'PARTIALLY_FILLED') "
        "AND exchange_order_id IS NOT NULL"
    ).fetchall()
    return [row[0] for row in rows]


class CancelAll:
    def __init__(
        self,
        db: Database,
        exchange: Exchange,
        ids: OrderIds,
        tracker: OrderTracker,
        metrics: ExecutionMetrics,
        resolve_pending: Callable[[], Awaitable[int]],
        *,
        retry_s: float = 0.1,
    ) -> None:
        self.db = db
        self.exchange = exchange
        self.ids = ids
        self.tracker = tracker
        self.metrics = metrics
        self._resolve_pending = resolve_pending
        self._retry_s = retry_s
        self._lock = asyncio.Lock()

    async def run(self, reason: str) -> int:
        """Cancel until nothing of ours is open at the venue; return how many were cancelled."""
        async with self._lock:
            started = time.perf_counter()
            cancelled = 0
            rounds = 0
            while True:
                rounds += 1
                pending = await self._resolve_pending()
                targets = await self._targets()
                if not targets and pending == 0:
                    break
                for batch in chunks(sorted(targets), BATCH):
                    cancelled += await self._cancel_batch(batch)
                if targets or pending:
                    await asyncio.sleep(self._retry_s)
            seconds = time.perf_counter() - started
            self.metrics.cancel_all.observe(seconds)
            log.warning(
                "cancel_all_done",
                reason=reason,
                cancelled=cancelled,
                rounds=rounds,
                seconds=round(seconds, 4),
            )
            return cancelled

    async def _targets(self) -> set[str]:
        known = await self.db.run(_working_order_ids)
        listed = await self.exchange.list_orders(statuses=["OPEN"])
        own_listed = {o.order_id for o in listed if self.ids.is_own(o.client_order_id)}
        foreign = sum(1 for o in listed if not self.ids.is_own(o.client_order_id))
        self.metrics.foreign_orders.set(foreign)
        unknown_here = own_listed - set(known)
        for order_id in unknown_here:  # learned only from the venue: adopt before cancelling
            await self.tracker.refresh_order(order_id)
        return set(known) | own_listed

    async def _cancel_batch(self, order_ids: list[str]) -> int:
        results = await self.exchange.cancel_orders(order_ids)
        confirmed = [r.order_id for r in results if r.success]
        now = time.time()
        moved = await self.db.run(lambda conn: _mark_cancelled(conn, confirmed, now))
        for result in results:
            if not result.success:
                await self._refused(result)
        return moved

    async def _refused(self, result: CancelResult) -> None:
        """Not cancelled: learn why from the order itself (filled, already gone, …)."""
        if result.failure_reason != FULLY_FILLED:
            log.warning("cancel_refused", order_id=result.order_id, reason=result.failure_reason)
        await self.tracker.refresh_order(result.order_id)


def _mark_cancelled(conn: sqlite3.Connection, order_ids: list[str], now: float) -> int:
    """One transaction for a whole batch: forward-only, so a FILLED intent stays FILLED.
    Fills made before the cancel still arrive through the tracker (cumulative quantity)."""
    if not order_ids:
        return 0
    marks = ",".join("?" for _ in order_ids)
    sources = ",".join(f"'{s}'" for s in sources_for(IntentState.CANCELLED))
    with transaction(conn):
        cursor = conn.execute(
            f"UPDATE intents SET state = 'CANCELLED', updated_at = ? "
            f"WHERE exchange_order_id IN ({marks}) AND state IN ({sources})",
            (now, *order_ids),
        )
        return int(cursor.rowcount)
