"""One WebSocket connection (SIM-1): subscriptions, the per-connection `sequence_num`, faults.

Messages are queued without blocking the producer and written by one task per connection.
That task assigns `sequence_num` (ONE counter per connection across all channels, from 0)
and applies WS fault rules: drop (the number is used, the frame is not sent → a gap),
duplicate, reorder (held until after the next frame), sequence gap, close 1000/1001/1006,
and edit (the frame's first row changed or repeated).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from trader.sim.server.encode import rfc3339_ns
from trader.sim.server.fault_edits import edit_first_event_row
from trader.sim.server.faults import FaultController, FaultKind

log = logging.getLogger(__name__)
MAX_QUEUED = 100_000
Item = tuple[str, bytes]


class WsSession:
    """A connected client: what it subscribed to and its outgoing frame queue."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        faults: FaultController,
        clock_ns: Callable[[], int],
    ) -> None:
        self.ws = ws
        self.request = request
        self.faults = faults
        self.clock_ns = clock_ns
        self.subscriptions: dict[str, set[str]] = {}
        self.user_all_products = False
        self.sequence = 0
        self.frames_sent = 0
        self.queue: asyncio.Queue[Item | None] = asyncio.Queue()
        self.closed = False
        self._close_code = 1000
        self._held: bytes | None = None

    def wants(self, subscription: str, product_id: str) -> bool:
        products = self.subscriptions.get(subscription)
        return products is not None and product_id in products

    def send(self, channel: str, events_json: bytes) -> None:
        """Queue one message (`events_json` is the encoded `events` list); never blocks."""
        if self.closed:
            return
        if self.queue.qsize() >= MAX_QUEUED:
            log.warning("sim ws client too slow (%d queued); closing", self.queue.qsize())
            self.close_now(1008)
            return
        self.queue.put_nowait((channel, events_json))

    def send_events(self, channel: str, events: object) -> None:
        self.send(channel, orjson.dumps(events))

    def send_error(self, message: str) -> None:
        """`{"type":"error","message":...}` (no envelope, no sequence number)."""
        self.queue.put_nowait(("", orjson.dumps({"type": "error", "message": message})))

    def close_now(self, code: int) -> None:
        """Close from outside the writer (fault control, shutdown, overload)."""
        self.closed = True
        self.queue.put_nowait(None)
        self._close_code = code

    async def run_writer(self) -> None:
        """Write queued frames until closed; applies WS faults."""
        while True:
            item = await self.queue.get()
            if item is None:
                await self._close(self._close_code)
                return
            channel, payload = item
            if not await self._write_item(channel, payload):
                return

    async def _write_item(self, channel: str, payload: bytes) -> bool:
        if not channel:
            await self._write(payload)
            return True
        rule = self.faults.ws_fault(channel)
        if rule is not None and rule.kind is FaultKind.WS_CLOSE:
            await self._close(rule.code)
            return False
        if rule is not None and rule.kind is FaultKind.WS_DROP:
            self.sequence += 1
            return True
        if rule is not None and rule.kind is FaultKind.WS_GAP:
            self.sequence += rule.gap
        if rule is not None and rule.kind is FaultKind.WS_EMPTY:
            payload = b"[]"  # connected, in sequence, saying nothing
        if rule is not None and rule.kind is FaultKind.WS_EDIT:
            payload = edit_first_event_row(payload, rule)
        frame = self._frame(channel, payload)
        if rule is not None and rule.kind is FaultKind.WS_REORDER and self._held is None:
            self._held = frame
            return True
        await self._write(frame)
        if rule is not None and rule.kind is FaultKind.WS_DUPLICATE:
            await self._write(frame)
        if self._held is not None and frame is not self._held:
            held, self._held = self._held, None
            await self._write(held)
        return True

    def _frame(self, channel: str, events_json: bytes) -> bytes:
        seq = self.sequence
        self.sequence += 1
        # no `client_id`: the real 2026 frames carry exactly these four keys
        head = (
            f'{{"channel":"{channel}","timestamp":"{rfc3339_ns(self.clock_ns())}",'
            f'"sequence_num":{seq},"events":'
        )
        return head.encode() + events_json + b"}"

    async def _write(self, frame: bytes) -> None:
        if self.ws.closed:
            return
        await self.ws.send_frame(frame, WSMsgType.TEXT)
        self.frames_sent += 1

    async def _close(self, code: int) -> None:
        """Close with `code`; 1006 aborts the TCP connection without a close frame."""
        self.closed = True
        if code == WSCloseCode.ABNORMAL_CLOSURE:
            transport = self.request.transport
            if transport is not None:
                transport.abort()
            return
        if not self.ws.closed:
            await self.ws.close(code=code, message=b"closed by venue")
