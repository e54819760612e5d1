"""SIM-1 fidelity: replaying the real Coinbase WS capture, the venue's served `l2_data` and
`market_trades` frames parse to the same book levels and trades as the recorded frames."""

from __future__ import annotations

import asyncio
import gzip
import json
from decimal import Decimal

import aiohttp

from tests.sim.test_server_support import apply_l2, ws_connect
from trader.core.clock import wall_clock
from trader.sim.venue import SimConfig, SimVenue

PRODUCTS = ("BTC-USD", "ETH-USD")
TOP = 200
Book = dict[str, dict[str, dict[Decimal, Decimal]]]


def _trades(frame: dict) -> list[tuple[str, str, Decimal, Decimal, str]]:
    return [
        (t["product_id"], t["trade_id"], Decimal(t["price"]), Decimal(t["size"]), t["side"])
        for event in frame["events"]
        if event["type"] == "update"
        for t in event["trades"]
    ]


def _recorded(path) -> tuple[Book, set]:
    books: Book = {}
    trades = set()
    with gzip.open(path, "rt") as handle:
        for line in handle:
            record = json.loads(line)
            if record["t"] != "recv":
                continue
            frame = json.loads(record["data"])
            if frame.get("channel") == "l2_data":
                apply_l2(books, frame)
            elif frame.get("channel") == "market_trades":
                trades.update(_trades(frame))
    return books, trades


def _top(side: dict[Decimal, Decimal], bids: bool) -> list[tuple[Decimal, Decimal]]:
    return [(p, side[p]) for p in sorted(side, reverse=bids)[:TOP]]


async def test_sim1_ws_capture_replay_matches_recorded_frames(shared_data):
    capture = shared_data / "coinbase-ws-capture-2026" / "advanced-trade-btc-eth.jsonl.gz"
    recorded_books, recorded_trades = _recorded(capture)
    config = SimConfig(
        market="ws-capture",
        replay_dir=shared_data,
        speed=50.0,
        products=2,
        driver=False,
        l2_depth=1000,
        rate_limit_public=None,
    )
    served: Book = {}
    served_trades: set = set()
    async with (
        SimVenue(config, clock=wall_clock) as venue,
        aiohttp.ClientSession() as session,
        ws_connect(venue, session) as ws,
    ):
        for name in ("level2", "market_trades"):
            await ws.send({"type": "subscribe", "channel": name, "product_ids": list(PRODUCTS)})
            ack = await ws.until(lambda f: f["channel"] == "subscriptions")
            assert name in ack["events"][0]["subscriptions"]
        for frame in ws.frames:
            if frame["channel"] == "l2_data":
                apply_l2(served, frame)
        start = venue.market_now()
        for k in range(1, 41):
            venue.step(start + k * 0.02)
            await asyncio.sleep(0)
        await asyncio.sleep(0.3)
        venue.step(start + 5.0)
        assert venue.source.finished
        while True:
            try:
                frame = await ws.next(timeout=0.5)
            except TimeoutError:
                break
            if frame["channel"] == "l2_data":
                apply_l2(served, frame)
            elif frame["channel"] == "market_trades":
                served_trades.update(_trades(frame))
    assert served_trades == recorded_trades and len(served_trades) > 50
    for product in PRODUCTS:
        for side, bids in (("bid", True), ("offer", False)):
            assert _top(served[product][side], bids) == _top(recorded_books[product][side], bids)
