"""EX-2 / X-5: own-order events from the user channel, and from REST open-order polling
while the user stream is down."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.exchange.support import adapter, resting_buy
from tests.sim.test_server_support import open_venue
from trader.exchange.models import OrderAccepted, OrderEvent, StreamStatus
from trader.exchange.order_feed import OrderFeed


async def _open_order(exchange, cid: str) -> str:
    result = await exchange.create_order(await resting_buy(exchange, cid))
    assert isinstance(result, OrderAccepted)
    return result.order_id


async def _next(events, pred, timeout=8.0):
    async with asyncio.timeout(timeout):
        async for event in events:
            if pred(event):
                return event
    raise AssertionError("stream ended")


async def test_ex2_order_feed_from_user_channel():
    async with open_venue() as venue, adapter(venue) as exchange:
        order_id = await _open_order(exchange, "feed-1")
        async with OrderFeed(exchange, poll_interval_s=0.2) as feed:
            events = feed.events()
            snap = await _next(events, lambda e: isinstance(e, OrderEvent) and e.source == "ws")
            assert (snap.order_id, snap.status, snap.snapshot) == (order_id, "OPEN", True)
            await _next(events, lambda e: isinstance(e, StreamStatus) and e.state == "up")
            await exchange.cancel_orders([order_id])
            done = await _next(
                events, lambda e: isinstance(e, OrderEvent) and e.status == "CANCELLED"
            )
            assert done.order_id == order_id and done.leaves_quantity == 0


async def test_ex2_order_feed_polls_rest_while_user_stream_down():
    async with open_venue() as venue, adapter(venue, ws_user_url="ws://127.0.0.1:9") as exchange:
        order_id = await _open_order(exchange, "feed-2")
        async with OrderFeed(exchange, poll_interval_s=0.2) as feed:
            event = await _next(feed.events(), lambda e: isinstance(e, OrderEvent))
            assert (event.order_id, event.status, event.source) == (order_id, "OPEN", "rest")
            assert event.leaves_quantity == Decimal("0.001") and not feed.stream_up


async def test_ex2_order_feed_reconnect_opens_the_user_channel_again_with_a_fresh_snapshot():
    async with open_venue() as venue, adapter(venue) as exchange:
        order_id = await _open_order(exchange, "feed-3")
        async with OrderFeed(exchange, poll_interval_s=0.2) as feed:
            events = feed.events()
            await _next(events, lambda e: isinstance(e, StreamStatus) and e.state == "up")
            feed.reconnect()
            assert not feed.stream_up and feed.reconnects == 1
            snap = await _next(events, lambda e: isinstance(e, OrderEvent) and e.source == "ws")
            assert (snap.order_id, snap.status, snap.snapshot) == (order_id, "OPEN", True)
            await _next(events, lambda e: isinstance(e, StreamStatus) and e.state == "up")
            assert feed.stream_up
            stream_tasks = [t for t in feed._tasks if t.get_name() == "order-feed-stream"]
            assert sum(not t.done() for t in stream_tasks) == 1  # the old connection is gone
