"""Own-order updates and fills (X-4, X-5).

The user channel (or its REST fallback) reports each order's cumulative progress; the
intent's state and progress only move forward. Whenever an order shows more filled size
than the fills stored for it, the fills are fetched from `orders/historical/fills` — the
record of truth — and stored once per trade id, which updates the position in the same
transaction. Orders without our prefix are foreign: recorded and left alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from trader.core.clock import Clock
from trader.exchange.interface import Exchange
from trader.exchange.models import Fill, Order, OrderEvent
from trader.exchange.order_feed import order_event
from trader.execution import store
from trader.execution.ids import OrderIds
from trader.execution.intents import IntentState, state_from_venue
from trader.execution.metrics import ExecutionMetrics
from trader.state.db import Database
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
        intent = await self.db.run(
            lambda conn: store.intent_by_client_id(conn, event.client_order_id)
        )
        await self.db.run(
            lambda conn: upsert_order(conn, event, intent.intent_id if intent else None, False, now)
        )
        if intent is None:
            log.error(
                "own_order_without_intent",
                order_id=event.order_id,
                client_order_id=event.client_order_id,
            )
            return
        if intent.state is IntentState.REJECTED and await self.db.run(
            lambda conn: store.overrule_rejection(conn, intent.intent_id, event.order_id, now)
        ):
            log.critical(
                "rejected_intent_has_venue_order",
                intent_id=intent.intent_id,
                order_id=event.order_id,
                status=event.status,
            )
        await self._apply(intent.intent_id, intent.exchange_order_id, event, now)

    async def _apply(
        self, intent_id: str, known_order_id: str | None, event: OrderEvent, now: float
    ) -> None:
        if known_order_id is None:
            await self.db.run(
                lambda conn: store.update_fields(
                    conn, intent_id, now, exchange_order_id=event.order_id
                )
            )
        await self.db.run(
            lambda conn: store.record_progress(
                conn,
                intent_id,
                event.cumulative_quantity,
                event.filled_value,
                event.total_fees,
                now,
            )
        )
        target = state_from_venue(event.status, event.cumulative_quantity)
        if target is not None and await self.db.run(
            lambda conn: store.move(conn, intent_id, target, now)
        ):
            self.metrics.orders.labels(state=target.value).inc()
            log.info(
                "order_state",
                intent_id=intent_id,
                order_id=event.order_id,
                state=target.value,
                filled=str(event.cumulative_quantity),
            )
        stored, _ = await self.db.run(lambda conn: store.fills_of_order(conn, event.order_id))
        if event.cumulative_quantity > stored:
            await self.sync_fills(order_ids=[event.order_id])

    async def sync_fills(
        self, *, order_ids: list[str] | None = None, start: float | None = None
    ) -> list[Fill]:
        """Fetch fills (truth) and store the unseen ones; positions follow in the same write."""
        fills = await self.exchange.fills(order_ids=order_ids or (), start=start)
        if not fills:
            return []
        intent_ids = await self.db.run(
            lambda conn: intent_ids_of_orders(conn, {f.order_id for f in fills})
        )
        own = [f for f in fills if f.order_id in intent_ids]
        if not own:
            return []
        now = self._clock()
        fresh = await self.db.run(
            lambda conn: store.insert_fills(conn, own, intent_ids, "rest", now)
        )
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

    async def refresh_order(self, order_id: str) -> None:
        """Ask the venue for one order and apply it like a user-channel update."""
        await self.on_order(await self.exchange.get_order(order_id))

    async def on_order(self, order: Order) -> None:
        """An order read over REST (a refresh, a lookup by client id)."""
        await self.on_order_event(order_event(order))
