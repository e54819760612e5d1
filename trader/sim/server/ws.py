"""The WebSocket feed at `/` (SIM-1, coinbase-protocol.md §5).

One channel per subscribe message (else `failure to subscribe`); a `jwt` is verified when
given and required for `user` (bad → `authentication failure`); the connection is closed
when no subscription arrives within 5 s; each subscribe gets its snapshot(s) and then a
cumulative `subscriptions` ack; `unsubscribe` with no products drops the whole channel.
Frames up to 16 MiB are accepted and sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from trader.core.orders import OrderStatus
from trader.core.types import BookLevel
from trader.sim.server.auth import AuthError
from trader.sim.server.context import CTX, VenueContext
from trader.sim.server.encode import rfc3339
from trader.sim.server.encode_orders import user_order_json
from trader.sim.server.ws_channels import (
    OUTPUT_CHANNEL,
    PRODUCT_CHANNELS,
    USER_SNAPSHOT_BATCH,
    candles_events,
    l2_snapshot_events,
    status_events,
    status_row,
    ticker_events,
    trades_events,
    user_events,
)
from trader.sim.server.ws_hub import CANDLE_S, Hub
from trader.sim.server.ws_session import WsSession

log = logging.getLogger(__name__)
HUB: web.AppKey[Hub] = web.AppKey("venue_hub", Hub)
MAX_FRAME = 64 * 1024 * 1024
SUBSCRIBE_DEADLINE_S = 5.0
SNAPSHOT_TRADES = 100
SNAPSHOT_CANDLES = 100
FAIL = "failure to subscribe"
AUTH_FAIL = "authentication failure"


class SubscribeError(Exception):
    """A subscribe/unsubscribe the venue refuses; the text is the error message sent."""


async def ws_handler(request: web.Request) -> web.StreamResponse:
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, autoping=True)
    if not ws.can_prepare(request).ok:
        return web.Response(status=400, text="expected a WebSocket upgrade\n")
    await ws.prepare(request)
    ctx, hub = request.app[CTX], request.app[HUB]
    session = WsSession(ws, request, ctx.faults, ctx.clock.now_ns)
    hub.sessions.add(session)
    writer = asyncio.create_task(session.run_writer())
    try:
        await _read_loop(ctx, hub, session)
    finally:
        hub.sessions.discard(session)
        if not session.closed:
            session.close_now(1000)
        with contextlib.suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(2.0):  # on expiry the writer task is cancelled too
                await writer
    return ws


async def _read_loop(ctx: VenueContext, hub: Hub, session: WsSession) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SUBSCRIBE_DEADLINE_S
    while not session.closed:
        timeout = None if session.subscriptions else max(0.0, deadline - loop.time())
        try:
            msg = await session.ws.receive(timeout=timeout)
        except TimeoutError:
            log.info("sim ws: no subscription within %.0fs; closing", SUBSCRIBE_DEADLINE_S)
            session.close_now(1000)
            return
        except ConnectionError:  # the client went away while its ping was being answered
            return
        if msg.type is WSMsgType.TEXT:
            handle_message(ctx, hub, session, msg.data)
        elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            return


def handle_message(ctx: VenueContext, hub: Hub, session: WsSession, text: str) -> None:
    try:
        kind, channel, products = _parse(ctx, text)
        if kind == "subscribe":
            _subscribe(ctx, hub, session, channel, products)
        else:
            _unsubscribe(session, channel, products)
    except SubscribeError as exc:
        session.send_error(str(exc))
        return
    session.send_events("subscriptions", [{"subscriptions": _ack(ctx, session)}])


def _parse(ctx: VenueContext, text: str) -> tuple[str, str, list[str]]:
    try:
        msg = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise SubscribeError(FAIL) from exc
    if not isinstance(msg, dict) or msg.get("type") not in ("subscribe", "unsubscribe"):
        raise SubscribeError(FAIL)
    channel = msg.get("channel")
    if "channels" in msg or not isinstance(channel, str) or channel not in OUTPUT_CHANNEL:
        raise SubscribeError(FAIL)
    products = msg.get("product_ids", [])
    if products is None:
        products = []
    if not isinstance(products, list) or not all(isinstance(p, str) for p in products):
        raise SubscribeError(FAIL)
    _check_jwt(ctx, msg.get("jwt"), required=channel == "user")
    if any(ctx.engine.product(p) is None for p in products):
        raise SubscribeError(FAIL)
    if msg["type"] == "subscribe" and channel in PRODUCT_CHANNELS and not products:
        raise SubscribeError(FAIL)
    return str(msg["type"]), channel, products


def _check_jwt(ctx: VenueContext, token: Any, *, required: bool) -> None:
    if token is None and not required:
        return
    if not isinstance(token, str) or not token:
        raise SubscribeError(AUTH_FAIL)
    try:
        ctx.verifier.verify_ws(token)
    except AuthError as exc:
        ctx.auth_failures += 1
        log.info("sim ws authentication failure: %s", exc)
        raise SubscribeError(AUTH_FAIL) from exc


def _ack(ctx: VenueContext, session: WsSession) -> dict[str, list[str]]:
    ack: dict[str, list[str]] = {}
    for name in sorted(session.subscriptions):
        if name == "heartbeats":
            ack[name] = ["heartbeats"]
        elif name == "user":
            ack[name] = [ctx.user_id]
        else:
            ack[name] = sorted(session.subscriptions[name])
    return ack


def _unsubscribe(session: WsSession, channel: str, products: list[str]) -> None:
    current = session.subscriptions.get(channel)
    if current is None:
        return
    if products:
        current.difference_update(products)
    if not products or not current:
        del session.subscriptions[channel]
        if channel == "user":
            session.user_all_products = False


def _subscribe(
    ctx: VenueContext, hub: Hub, session: WsSession, channel: str, products: list[str]
) -> None:
    current = session.subscriptions.setdefault(channel, set())
    if channel == "heartbeats":
        return
    if channel == "user":
        session.user_all_products = session.user_all_products or not products
        current.update(products)
        _user_snapshot(ctx, session, products)
        return
    if channel == "status":
        wanted = products or [p.product_id for p in ctx.engine.products()]
        rows = [status_row(r) for p in wanted if (r := ctx.engine.product(p)) is not None]
        current.update(wanted)
        session.send_events("status", status_events("snapshot", rows))
        return
    new = [p for p in dict.fromkeys(products) if p not in current]
    current.update(new)
    for product_id in new:
        _product_snapshot(ctx, hub, session, channel, product_id)


def _product_snapshot(
    ctx: VenueContext, hub: Hub, session: WsSession, channel: str, product_id: str
) -> None:
    now = ctx.clock.market_now()
    if channel in ("ticker", "ticker_batch"):
        row = hub.ticker_snapshot_row(product_id, with_book=channel == "ticker")
        session.send_events(channel, ticker_events("snapshot", [row]))
    elif channel == "market_trades":
        trades = ctx.market.trades(product_id, SNAPSHOT_TRADES)
        session.send_events(channel, trades_events("snapshot", trades))
    elif channel == "candles":
        start = int(now) // CANDLE_S * CANDLE_S - (SNAPSHOT_CANDLES - 1) * CANDLE_S
        rows = ctx.history.candles(
            product_id, CANDLE_S, start, start + SNAPSHOT_CANDLES * CANDLE_S, now
        )
        session.send_events(channel, candles_events("snapshot", list(reversed(rows))))
    elif channel == "level2":
        bids, asks = hub.published_book(product_id)
        events = l2_snapshot_events(
            product_id, _levels(bids, reverse=True), _levels(asks, reverse=False), rfc3339(now)
        )
        session.send_events("l2_data", events)


def _levels(side: dict[Decimal, Decimal], *, reverse: bool) -> list[BookLevel]:
    return [BookLevel(p, side[p]) for p in sorted(side, reverse=reverse)]


def _user_snapshot(ctx: VenueContext, session: WsSession, products: list[str]) -> None:
    """OPEN orders in batches of 50; the first batch with fewer than 50 ends the snapshot."""
    wanted = set(products)
    rows = [
        user_order_json(o, ctx.portfolio_id)
        for o in ctx.engine.orders()
        if o.status is OrderStatus.OPEN and (not wanted or o.product_id in wanted)
    ]
    for start in range(0, len(rows) + 1, USER_SNAPSHOT_BATCH):
        batch = rows[start : start + USER_SNAPSHOT_BATCH]
        session.send_events("user", user_events("snapshot", batch))
        if len(batch) < USER_SNAPSHOT_BATCH:
            return
