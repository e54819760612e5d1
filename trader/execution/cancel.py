"""Cancel-all (OPS-4, X-5): every own open order, batched ≤ 100 ids, until the venue agrees.

Targets are the union of what the database knows to be working and what the venue lists
as OPEN with our client-id prefix — so an order whose create answer was lost is cancelled
too. Intents still SUBMITTING are resolved first (a resolved order is then a target).
A cancel answered "already filled" is a fill, never a cancel. When the venue's list cannot
be read, the orders the database knows are cancelled all the same, then the run fails
(its caller retries: the kill switch until the venue answers, a shutdown within its budget).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

import structlog

from trader.core.clock import Clock
from trader.core.orders import RejectCause
from trader.exchange.errors import ExchangeError, ExchangeUnavailableError
from trader.exchange.interface import Exchange
from trader.exchange.models import CancelResult
from trader.execution.ids import OrderIds
from trader.execution.metrics import ExecutionMetrics
from trader.execution.tracker import OrderTracker
from trader.state.db import Database
from trader.state.orders import intent_ids_of_orders, mark_cancelled, working_order_ids

log = structlog.get_logger("trader.execution")

BATCH: Final = 100


def chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


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
        clock: Clock,
        retry_s: float = 0.1,
    ) -> None:
        self.db = db
        self._clock = clock
        self.exchange = exchange
        self.ids = ids
        self.tracker = tracker
        self.metrics = metrics
        self._resolve_pending = resolve_pending
        self._retry_s = retry_s
        self._lock = asyncio.Lock()

    async def run(self, reason: str, *, list_limit_s: float | None = None) -> int:
        """Cancel until nothing of ours is open at the venue; return how many were cancelled.
        Each round asks the venue first and cancels what it lists before touching the state
        file, so a locked or slow store never delays a cancel (OPS-4, ST-1). Listing the
        venue's orders is bounded by `list_limit_s`: when it fails or does not answer in
        time, the orders the state file knows are cancelled all the same, and the listing's
        error is raised once they are (the run did not see what the venue holds)."""
        async with self._lock:
            started = time.perf_counter()
            cancelled = 0
            rounds = 0
            unlisted_by: ExchangeError | None = None  # why the venue's list is not known
            while True:
                rounds += 1
                listed: set[str] = set()
                if unlisted_by is None:
                    try:
                        listed = await self._venue_open_own(list_limit_s)
                    except ExchangeError as exc:
                        unlisted_by = exc
                        log.warning("cancel_all_list_failed", reason=reason, error=str(exc)[:300])
                cancelled += await self._cancel_and_book(listed)
                pending = await self._resolve_pending()
                unlisted = await self._known_working(listed)
                cancelled += await self._cancel_and_book(unlisted)
                if not listed and not unlisted and pending == 0:
                    break
                await asyncio.sleep(self._retry_s)
            seconds = time.perf_counter() - started
            self.metrics.cancel_all.observe(seconds)
            log.warning(
                "cancel_all_done" if unlisted_by is None else "cancel_all_known_done",
                reason=reason,
                cancelled=cancelled,
                rounds=rounds,
                seconds=round(seconds, 4),
            )
            if unlisted_by is not None:
                raise unlisted_by
            return cancelled

    async def _venue_open_own(self, limit_s: float | None) -> set[str]:
        try:
            async with asyncio.timeout(limit_s):
                listed = await self.exchange.list_orders(statuses=["OPEN"])
        except TimeoutError:
            raise ExchangeUnavailableError("list_orders", f"no answer within {limit_s} s") from None
        self.metrics.foreign_orders.set(
            sum(1 for o in listed if not self.ids.is_own(o.client_order_id))
        )
        return {o.order_id for o in listed if self.ids.is_own(o.client_order_id)}

    async def _cancel_and_book(self, order_ids: set[str]) -> int:
        answers = [
            r for batch in chunks(sorted(order_ids), BATCH) for r in await self._cancel(batch)
        ]
        return await self._book(answers)

    async def _known_working(self, listed: set[str]) -> set[str]:
        """Orders the database thinks are working that the venue did not list as open
        (filled or cancelled meanwhile, or not visible yet): cancelled too; the answers
        say which."""
        known = set(await self.db.run(working_order_ids))
        return known - listed

    async def _cancel(self, order_ids: list[str]) -> list[CancelResult]:
        return await self.exchange.cancel_orders(order_ids)

    async def _book(self, answers: list[CancelResult]) -> int:
        """Record the venue's cancel answers: confirmed ones CANCELLED, refused ones read
        again (filled, already gone, or learned only now from the venue: adopted)."""
        confirmed = [r.order_id for r in answers if r.success]
        now = self._clock()
        moved = await self.db.run(lambda conn: mark_cancelled(conn, confirmed, now))
        for result in answers:
            if not result.success:
                await self._refused(result)
        known = set(await self.db.run(lambda conn: intent_ids_of_orders(conn, confirmed)))
        for order_id in set(confirmed) - known:  # cancelled before we knew it: adopt it now
            await self.tracker.refresh_order(order_id)
        return moved

    async def _refused(self, result: CancelResult) -> None:
        """Not cancelled: learn why from the order itself (filled, already gone, …)."""
        if result.cause is not RejectCause.ALREADY_FILLED:
            log.warning("cancel_refused", order_id=result.order_id, reason=result.failure_reason)
        await self.tracker.refresh_order(result.order_id)
