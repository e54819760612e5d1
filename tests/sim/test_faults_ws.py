"""SIM-1 WebSocket faults: dropped, duplicated, reordered frames, sequence gaps, closes,
edited frames (a field of the first row set, the row repeated)."""

from __future__ import annotations

import itertools

import aiohttp
import orjson
import pytest

from tests.sim.test_server_support import Rest, channel, open_venue, ws_connect
from trader.sim.server.fault_edits import edit_first_event_row
from trader.sim.server.faults import FaultController


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


def test_sim1_ws_edit_goes_before_an_emptying_rule_added_earlier():
    """One edited frame, then quiet: `ws_empty` added first, `ws_edit` (count 1) after it,
    leaves no moment for a real frame between the two."""
    faults = FaultController()
    quiet = faults.add("ws_empty", channel="ticker")
    edit = faults.add("ws_edit", channel="ticker", rows="tickers", field="best_bid",
                      value="1", count=1)  # fmt: skip
    assert faults.ws_fault("heartbeats") is None
    assert [faults.ws_fault("ticker") for _ in range(3)] == [edit, quiet, quiet]


TRADES = [
    {"type": "update", "trades": [
        {"trade_id": "7", "product_id": "BTC-USD", "price": "100", "size": "1", "side": "BUY"},
        {"trade_id": "6", "product_id": "BTC-USD", "price": "99", "size": "2", "side": "SELL"},
    ]},
]  # fmt: skip


def test_sim1_ws_edit_sets_a_field_of_the_first_row_and_repeats_it_with_own_trade_ids():
    faults = FaultController()
    rule = faults.add("ws_edit", channel="market_trades", rows="trades", field="price",
                      value="1e400", repeat=3)  # fmt: skip
    edited = orjson.loads(edit_first_event_row(orjson.dumps(TRADES), rule))
    rows = edited[0]["trades"]
    assert [(r["trade_id"], r["price"]) for r in rows] == [
        ("7", "1e400"), ("7-1", "1e400"), ("7-2", "1e400"), ("6", "99"),
    ]  # fmt: skip
    renamed = faults.add("ws_edit", rows="trades", field="product_id", value="ZZZ-USD")
    first = orjson.loads(edit_first_event_row(orjson.dumps(TRADES), renamed))[0]["trades"][0]
    assert first["product_id"] == "ZZZ-USD"
    assert edit_first_event_row(b"[]", rule) == b"[]"  # nothing to edit: unchanged


@pytest.mark.parametrize(
    "params",
    [{}, {"rows": "trades"}, {"rows": "trades", "repeat": 0}, {"rows": "", "field": "price"},
     {"rows": "trades", "field": "price", "value": 5}, {"rows": "trades", "repeat": 2_000_000}],
    ids=repr,
)  # fmt: skip
def test_sim1_ws_edit_refuses_rules_it_cannot_apply(params):
    with pytest.raises(ValueError, match="ws_edit needs"):
        FaultController().add("ws_edit", **params)
