"""SIM-1: a WebSocket client that goes away with a frame of its in flight (a ping the venue
must answer, a subscribe it must acknowledge) ends its session quietly: the venue logs no
error and no traceback (a daemon that drops its connection while the venue is stopped
leaves exactly that behind), and it goes on serving the next client."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import socket
import struct

import aiohttp
import orjson
import pytest

from tests.sim.test_server_support import open_venue, ws_connect

PING, TEXT = 0x9, 0x1


def _frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame, masked as RFC 6455 requires of clients."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + mask + masked


async def _upgraded(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


def _reset(writer: asyncio.StreamWriter) -> None:
    """Gone at once: the socket closed with a reset, nothing more read."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


SUBSCRIBE = orjson.dumps({"type": "subscribe", "channel": "heartbeats", "product_ids": []})


@pytest.mark.parametrize(
    "in_flight",
    [
        [(PING, b"p")],
        [(PING, b"p")] * 3,
        [(TEXT, SUBSCRIBE)],
        [(TEXT, SUBSCRIBE), (PING, b"p"), (PING, b"q")],
    ],
    ids=["ping", "pings", "subscribe", "subscribe-then-pings"],
)
async def test_sim1_a_client_gone_with_a_frame_in_flight_leaves_no_error(caplog, in_flight):
    caplog.set_level(logging.DEBUG)
    async with open_venue() as venue:
        port = int(venue.ws_url.rsplit(":", 1)[1])
        for _ in range(5):
            _reader, writer = await _upgraded(port)
            writer.write(b"".join(_frame(opcode, payload) for opcode, payload in in_flight))
            await writer.drain()
            _reset(writer)
        await asyncio.sleep(0.3)
        async with aiohttp.ClientSession() as session, ws_connect(venue, session) as ws:
            await ws.send({"type": "subscribe", "channel": "heartbeats", "product_ids": []})
            assert (await ws.next())["channel"] == "subscriptions"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [(r.name, r.getMessage()) for r in errors]
