"""SIM-1 fidelity: every WebSocket frame the venue sends has the recorded 2026 envelope —
`channel`, `timestamp`, `sequence_num`, `events` and nothing else (no `client_id`)."""

from __future__ import annotations

import asyncio
import gzip
import json

import aiohttp
import pytest

from tests.sim.test_server_support import open_venue, ws_connect

CHANNELS = ("heartbeats", "ticker", "ticker_batch", "market_trades", "candles", "level2", "status")


def _recorded_envelopes(path) -> dict[str, set[frozenset[str]]]:
    """Channel → the key sets of its recorded data frames."""
    keys: dict[str, set[frozenset[str]]] = {}
    with gzip.open(path, "rt") as handle:
        for line in handle:
            record = json.loads(line)
            if record["t"] == "recv":
                frame = json.loads(record["data"])
                keys.setdefault(frame["channel"], set()).add(frozenset(frame))
    return keys


@pytest.fixture
async def env():
    async with open_venue(trades_per_minute=1200) as venue, aiohttp.ClientSession() as session:
        venue.hub.intervals["batch"] = 0.3
        yield venue, session


async def test_sim1_ws_frames_have_the_recorded_envelope_without_client_id(env, shared_data):
    capture = shared_data / "coinbase-ws-capture-2026" / "advanced-trade-btc-eth.jsonl.gz"
    recorded = _recorded_envelopes(capture)
    envelope = {frozenset({"channel", "timestamp", "sequence_num", "events"})}
    assert all(shapes == envelope for shapes in recorded.values()), recorded
    venue, session = env
    async with ws_connect(venue, session) as ws:
        for name in CHANNELS:
            products = [] if name in ("heartbeats", "status") else ["BTC-USD"]
            await ws.send({"type": "subscribe", "channel": name, "product_ids": products})
        seen: set[str] = set()
        async with asyncio.timeout(10):
            while not {"heartbeats", "ticker_batch", "l2_data"} <= seen:
                seen.add((await ws.next())["channel"])
    channels = {f["channel"] for f in ws.frames}
    assert channels >= {"subscriptions", "heartbeats", "ticker", "ticker_batch", "l2_data"}
    assert channels >= {"market_trades", "candles", "status"}
    for frame in ws.frames:
        assert "client_id" not in frame, frame["channel"]
        assert frozenset(frame) in envelope, frame
    for name in recorded:  # the channels the capture has look exactly like it
        assert {frozenset(f) for f in ws.frames if f["channel"] == name} == recorded[name]
