"""Own-order events for the execution engine (EX-2, X-4, X-5).

`OrderFeed` consumes `exchange.user_stream()` and, while that stream is down, polls
`list_orders(OPEN)` over REST so order state keeps flowing (events marked
`source="rest"`, `snapshot=True`). `StreamStatus` events pass through so the consumer
knows when to reconcile (a `resync` is followed by the channel's open-order snapshot).

    async with OrderFeed(exchange) as feed:
        async for event in feed.events(): ...
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from types import TracebackType
from typing import Self

import structlog

from trader.exchange.errors import ExchangeError
from trader.exchange.interface import Exchange
from trader.exchange.models import Order, OrderEvent, StreamStatus, UserEvent
from trader.ops.tasks import cancel_and_wait

log = structlog.get_logger("trader.exchange")

STREAM_TASK = "order-feed-stream"


def order_event(order: Order, *, source: str = "rest") -> OrderEvent:
    """An `OrderEvent` from a REST order (same fields as the user channel reports)."""
    leaves = Decimal(0)
    if order.status == "OPEN" and order.base_size is not None:
        leaves = max(Decimal(0), order.base_size - order.filled_size)
    return OrderEvent(
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        product_id=order.product_id,
        side=str(order.side),
        status=order.status,
        order_type=order.order_type,
        cumulative_quantity=order.filled_size,
        leaves_quantity=leaves,
        avg_price=order.average_filled_price,
        filled_value=order.filled_value,
        total_fees=order.total_fees,
        number_of_fills=order.number_of_fills,
        snapshot=True,
        source=source,
    )


class OrderFeed:
    """User-channel events with REST fallback; one consumer reads `events()`."""

    def __init__(
        self,
        exchange: Exchange,
        *,
        poll_interval_s: float = 2.0,
    ) -> None:
        self.exchange = exchange
        self.poll_interval_s = poll_interval_s
        self.stream_up = False
        self.polls = 0
        self.reconnects = 0
        self._queue: asyncio.Queue[UserEvent] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._consume(), name=STREAM_TASK),
            asyncio.create_task(self._poll(), name="order-feed-poll"),
        ]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks = []

    def reconnect(self) -> None:
        """Leave the user channel and open it again (a fresh connection and snapshot): the
        channel was found not delivering. Open orders are polled until it is up."""
        if not self._tasks:
            return
        for task in self._tasks:
            if task.get_name() == STREAM_TASK:
                task.cancel()  # awaited at `stop` with the rest
        self._tasks = [task for task in self._tasks if not task.done()]
        self.stream_up = False
        self.reconnects += 1
        self._tasks.append(asyncio.create_task(self._consume(), name=STREAM_TASK))

    async def events(self) -> AsyncIterator[UserEvent]:
        while True:
            yield await self._queue.get()

    async def _consume(self) -> None:
        stream = self.exchange.user_stream()
        try:
            async for event in stream:
                if isinstance(event, StreamStatus) and event.state in ("up", "down"):
                    self.stream_up = event.state == "up"
                if not (isinstance(event, StreamStatus) and event.state == "heartbeat"):
                    self._queue.put_nowait(event)
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _poll(self) -> None:
        while True:
            if not self.stream_up:
                await self._poll_once()
            await asyncio.sleep(self.poll_interval_s)

    async def _poll_once(self) -> None:
        try:
            orders = await self.exchange.list_orders(statuses=["OPEN"])
        except ExchangeError as exc:
            log.warning("open_orders_poll_failed", error=str(exc))
            return
        self.polls += 1
        for order in orders:
            self._queue.put_nowait(order_event(order))
