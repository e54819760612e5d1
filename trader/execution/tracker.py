"""Own-order updates and fills (X-4, X-5).

The user channel (or its REST fallback) reports each order's cumulative progress; the
intent's state and progress only move forward. Whenever an order shows more filled size
than the fills stored for it, the fills are fetched from `orders/historical/fills` — the
record of truth — and stored once per trade id, which updates the position in the same
transaction. A fill that contradicts its order (`booking`) is not stored: it is logged
once and reported to `venue_errors` (the desk halts). Orders without our prefix are
foreign: recorded and left alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from trader.core.clock import Clock
from trader.exchange.interface import Exchange
from trader.exchange.models import Fill, Order, OrderEvent
from trader.exchange.order_feed import order_event
from trader.execution import store
from trader.execution.booking import Contradiction, book
from trader.execution.ids import OrderIds
from trader.execution.intents import IntentState, state_from_venue
from trader.execution.metrics import ExecutionMetrics
from trader.state import fill_rows
from trader.state.db import Database, transaction
from trader.state.orders import intent_ids_of_orders, upsert_order

log = structlog.get_logger("trader.execution")


class OrderTracker:
    def __init__(
        self,
        db: Database,
        exchange: Exchange,
        ids: OrderIds,
        metrics: ExecutionMetrics,
        clock: Clock,
    ) -> None:
        self.db = db
        self.exchange = exchange
        self.ids = ids
        self.metrics = metrics
        self._clock = clock
        self._foreign_seen: set[str] = set()
        self.fill_listeners: list[Callable[[list[Fill]], Awaitable[None]]] = []
        self.venue_errors: list[Callable[[Contradiction], Awaitable[None]]] = []
        self._refused: set[str] = set()  # trade ids refused at booking, reported once

    async def on_order_event(self, event: OrderEvent) -> None:
        now = self._clock()
        if not self.ids.is_own(event.client_order_id):
            await self.db.run(lambda conn: upsert_order(conn, event, None, True, now))
            if event.order_id not in self._foreign_seen:
                self._foreign_seen.add(event.order_id)
                log.warning(
                    "foreign_order_seen",
                    order_id=event.order_id,
                    product_id=event.product_id,
                    status=event.status,
                )
            return
        seen = await self.db.run(lambda conn: _record_own_event(conn, event, now))
        if seen.intent_id is None:
            log.error(
                "own_order_without_intent",
                order_id=event.order_id,
                client_order_id=event.client_order_id,
            )
            return
        if seen.overruled:
            log.critical(
                "rejected_intent_has_venue_order",
                intent_id=seen.intent_id,
                order_id=event.order_id,
                status=event.status,
            )
        if seen.moved_to is not None:
            self.metrics.order_moved(seen.moved_to.value)
            log.info(
                "order_state",
                intent_id=seen.intent_id,
                order_id=event.order_id,
                state=seen.moved_to.value,
                filled=str(event.cumulative_quantity),
            )
        if seen.fills_missing:
            await self.sync_fills(order_ids=[event.order_id])

    async def sync_fills(
        self, *, order_ids: list[str] | None = None, start: float | None = None
    ) -> list[Fill]:
        """Fetch fills (truth) and store the unseen ones; positions follow in the same write."""
        fills = await self.exchange.fills(order_ids=order_ids or (), start=start)
        if not fills:
            return []
        now = self._clock()
        intent_ids, fresh, refused = await self.db.run(
            lambda conn: _store_own_fills(conn, fills, now)
        )
        await self._report_refused(refused)
        if fresh:
            for listener in self.fill_listeners:
                await listener(fresh)
            self.metrics.fills.inc(len(fresh))
            for fill in fresh:  # OPS-9: one line per fill
                log.info(
                    "fill",
                    trade_id=fill.trade_id,
                    order_id=fill.order_id,
                    intent_id=intent_ids.get(fill.order_id),
                    product_id=fill.product_id,
                    side=fill.side.value,
                    price=str(fill.price),
                    size=str(fill.size),
                    fee=str(fill.commission),
                    liquidity=fill.liquidity,
                )
        return fresh

    async def _report_refused(self, refused: list[Contradiction]) -> None:
        for contradiction in refused:
            fill = contradiction.fill
            if fill.trade_id in self._refused:
                continue
            self._refused.add(fill.trade_id)
            log.error(
                "venue_fill_refused",
                endpoint="fills",
                trade_id=fill.trade_id,
                order_id=fill.order_id,
                intent_id=contradiction.intent_id,
                product_id=fill.product_id,
                side=fill.side.value,
                price=str(fill.price),
                size=str(fill.size),
                problem=contradiction.problem,
            )
            for listener in self.venue_errors:
                await listener(contradiction)

    async def refresh_order(self, order_id: str) -> None:
        """Ask the venue for one order and apply it like a user-channel update."""
        await self.on_order(await self.exchange.get_order(order_id))

    async def on_order(self, order: Order) -> None:
        """An order read over REST (a refresh, a lookup by client id)."""
        await self.on_order_event(order_event(order))


@dataclass(slots=True)
class _SeenEvent:
    """What one own-order event changed: its intent (None: no intent has its client id),
    a rejection the venue overruled, the state the intent moved to, and whether the
    order shows more filled than its stored fills."""

    intent_id: str | None = None
    overruled: bool = False
    moved_to: IntentState | None = None
    fills_missing: bool = False


def _record_own_event(conn: sqlite3.Connection, event: OrderEvent, now: float) -> _SeenEvent:
    """The order row, the intent's venue id, progress and state, in one transaction."""
    with transaction(conn):
        intent = store.standing_by_client_id(conn, event.client_order_id)
        upsert_order(conn, event, intent.intent_id if intent else None, False, now)
        if intent is None:
            return _SeenEvent()
        seen = _SeenEvent(intent.intent_id)
        seen.overruled = intent.state is IntentState.REJECTED and store.overrule_rejection(
            conn, intent.intent_id, event.order_id, now
        )
        if intent.exchange_order_id is None:
            store.update_fields(conn, intent.intent_id, now, exchange_order_id=event.order_id)
        fill_rows.raise_progress_past(
            conn,
            intent.intent_id,
            intent.filled_size,
            event.cumulative_quantity,
            event.filled_value,
            event.total_fees,
            now,
        )
        target = state_from_venue(event.status, event.cumulative_quantity)
        if target is not None and store.move(conn, intent.intent_id, target, now):
            seen.moved_to = target
        stored, _ = fill_rows.fills_of_order(conn, event.order_id)
        seen.fills_missing = event.cumulative_quantity > stored
        return seen


def _store_own_fills(
    conn: sqlite3.Connection, fills: list[Fill], now: float
) -> tuple[dict[str, str], list[Fill], list[Contradiction]]:
    """The fills of own orders not stored before, stored unless they contradict their
    order (order id -> intent id, the new ones, the refused ones)."""
    intent_ids = intent_ids_of_orders(conn, {f.order_id for f in fills})
    own = [f for f in fills if f.order_id in intent_ids]
    if not own:
        return intent_ids, [], []
    fresh, refused = book(conn, own, intent_ids, "rest", now)
    return intent_ids, fresh, refused
