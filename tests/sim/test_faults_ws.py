"""SIM-1 WebSocket faults: dropped, duplicated, reordered frames, sequence gaps, closes."""

from __future__ import annotations

import itertools

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, channel, open_venue, ws_connect


@pytest.fixture
async def env():
    async with open_venue() as venue, aiohttp.ClientSession() as session:
        venue.hub.intervals["second"] = 0.05
        venue.hub._next["second"] = 0.0
        yield venue, session


async def _heartbeat_seqs(ws, count: int) -> list[int]:
    seqs = []
    while len(seqs) < count:
        frame = await ws.until(channel("heartbeats"))
        seqs.append(frame["sequence_num"])
    return seqs


async def _subscribed(venue, session):
    ws_cm = ws_connect(venue, session)
    ws = await ws_cm.__aenter__()
    await ws.send({"type": "subscribe", "channel": "heartbeats", "product_ids": []})
    await ws.until(channel("subscriptions"))
    await _heartbeat_seqs(ws, 2)
    return ws_cm, ws


@pytest.mark.parametrize(
    ("kind", "params", "check"),
    [
        ("ws_drop", {}, lambda s: s[1] - s[0] == 2),
        ("ws_gap", {"gap": 5}, lambda s: s[1] - s[0] == 6),
        ("ws_duplicate", {}, lambda s: s[1] == s[0]),
        ("ws_reorder", {}, lambda s: s[1] == s[0] - 1),
    ],
)
async def test_sim1_ws_sequence_faults(env, kind, params, check):
    venue, session = env
    ws_cm, ws = await _subscribed(venue, session)
    try:
        venue.faults.add(kind, count=1, channel="heartbeats", **params)
        await _heartbeat_seqs(ws, 4)
        seqs = [f["sequence_num"] for f in ws.frames if f["channel"] == "heartbeats"]
        pairs = list(itertools.pairwise(seqs))
        assert any(check(pair) for pair in pairs), seqs
        assert venue.faults.counts[kind] == 1
    finally:
        await ws_cm.__aexit__(None, None, None)


@pytest.mark.parametrize("code", [1000, 1001])
async def test_sim1_ws_close_with_code(env, code):
    venue, session = env
    ws_cm, ws = await _subscribed(venue, session)
    try:
        venue.faults.add("ws_close", count=1, code=code)
        while True:
            msg = await ws.ws.receive(timeout=3)
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
        assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == code
    finally:
        await ws_cm.__aexit__(None, None, None)


async def test_sim1_ws_close_1006_aborts_tcp(env):
    venue, session = env
    ws_cm, ws = await _subscribed(venue, session)
    try:
        rest = Rest(venue, session)
        status, body, _ = await rest.post("/_sim/ws/close", {"code": 1006}, auth=False)
        assert status == 200 and body == {"closed": 1}
        while True:
            msg = await ws.ws.receive(timeout=3)
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert ws.ws.close_code in (None, 1006)
    finally:
        await ws_cm.__aexit__(None, None, None)


async def test_sim1_ws_empty_sends_frames_in_sequence_with_no_events(env):
    venue, session = env
    ws_cm, ws = await _subscribed(venue, session)
    try:
        venue.faults.add("ws_empty", count=2, channel="heartbeats")
        await _heartbeat_seqs(ws, 5)
        beats = [f for f in ws.frames if f["channel"] == "heartbeats"]
        seqs = [f["sequence_num"] for f in ws.frames]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs  # no gap, no repeat
        emptied = [f for f in beats if f["events"] == []]
        assert len(emptied) == 2, beats
        assert beats[-1]["events"], "frames after the rule is used up carry their events"
        assert venue.faults.counts["ws_empty"] == 2
    finally:
        await ws_cm.__aexit__(None, None, None)
