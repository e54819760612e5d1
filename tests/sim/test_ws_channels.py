"""SIM-1 WebSocket market channels: envelope, sequence numbers, snapshots then updates."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
import pytest

import trader.sim.server.ws as ws_module
from tests.sim.test_server_support import L2Books, Rest, apply_l2, channel, open_venue, ws_connect


@pytest.fixture
async def env():
    async with open_venue(trades_per_minute=1200) as venue, aiohttp.ClientSession() as session:
        yield venue, session


def sub(name: str, *products: str) -> dict:
    return {"type": "subscribe", "channel": name, "product_ids": list(products)}


async def test_sim1_ws_heartbeats_ack_and_one_sequence_per_connection(env):
    venue, session = env
    async with ws_connect(venue, session) as ws:
        await ws.send(sub("heartbeats"))
        await ws.send(sub("ticker", "BTC-USD"))
        heartbeats = []
        async with asyncio.timeout(5):
            while len(heartbeats) < 2:
                frame = await ws.next()
                if frame["channel"] == "heartbeats":
                    heartbeats.append(frame)
        seqs = [f["sequence_num"] for f in ws.frames]
        assert seqs == list(range(len(seqs)))
        acks = [f for f in ws.frames if f["channel"] == "subscriptions"]
        assert acks[0]["events"][0]["subscriptions"] == {"heartbeats": ["heartbeats"]}
        assert acks[1]["events"][0]["subscriptions"] == {
            "heartbeats": ["heartbeats"],
            "ticker": ["BTC-USD"],
        }
        for frame in ws.frames:
            assert set(frame) == {"channel", "timestamp", "sequence_num", "events"}
            assert frame["timestamp"].endswith("Z")
            assert len(frame["timestamp"].split(".")[1]) == 10  # 9 digits + Z
        counters = [h["events"][0]["heartbeat_counter"] for h in heartbeats]
        assert all(isinstance(c, int) for c in counters) and counters[1] == counters[0] + 1
        assert " +0000 UTC m=+" in heartbeats[0]["events"][0]["current_time"]


async def test_sim1_ws_one_channel_per_subscribe_and_errors(env):
    venue, session = env
    async with ws_connect(venue, session) as ws:
        await ws.send(
            {"type": "subscribe", "channels": ["ticker", "heartbeats"], "product_ids": ["BTC-USD"]}
        )
        assert await ws.next() == {"type": "error", "message": "failure to subscribe"}
        await ws.send(sub("ticker", "NOPE-USD"))
        assert await ws.next() == {"type": "error", "message": "failure to subscribe"}
        await ws.send(sub("ticker"))
        assert await ws.next() == {"type": "error", "message": "failure to subscribe"}
        await ws.ws.send_str("x" * (17 * 1024 * 1024))
        assert await ws.next() == {"type": "error", "message": "failure to subscribe"}


async def test_sim1_ws_closes_without_subscription(env, monkeypatch):
    venue, session = env
    monkeypatch.setattr(ws_module, "SUBSCRIBE_DEADLINE_S", 0.3)
    async with ws_connect(venue, session) as ws:
        msg = await ws.ws.receive(timeout=3)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_sim1_ws_ticker_trades_candles_then_unsubscribe(env):
    venue, session = env
    venue.hub.intervals["batch"] = 0.5
    venue.hub._next["batch"] = 0.0
    async with ws_connect(venue, session) as ws:
        for name in ("ticker", "market_trades", "candles", "ticker_batch"):
            await ws.send(sub(name, "BTC-USD"))
        snapshot = await ws.until(lambda f: f["channel"] == "ticker")
        assert snapshot["events"][0]["type"] == "snapshot"
        row = snapshot["events"][0]["tickers"][0]
        assert set(row) >= {
            "type",
            "product_id",
            "price",
            "volume_24_h",
            "low_24_h",
            "high_24_h",
            "price_percent_chg_24_h",
            "best_bid",
            "best_ask",
            "best_bid_quantity",
            "best_ask_quantity",
        }
        candles = await ws.until(channel("candles"))
        assert candles["events"][0]["type"] == "snapshot"
        starts = [int(c["start"]) for c in candles["events"][0]["candles"]]
        assert starts == sorted(starts) and all(s % 300 == 0 for s in starts)
        update = await ws.until(
            lambda f: f["channel"] == "market_trades" and f["events"][0]["type"] == "update",
            timeout=5,
        )
        trade = update["events"][0]["trades"][0]
        assert set(trade) == {"product_id", "trade_id", "price", "size", "side", "time"}
        await ws.until(lambda f: f["channel"] == "ticker" and f["events"][0]["type"] == "update")
        batch = await ws.until(
            lambda f: f["channel"] == "ticker_batch" and f["events"][0]["type"] == "update",
            timeout=3,
        )
        assert "best_bid" not in batch["events"][0]["tickers"][0]
        await ws.send({"type": "unsubscribe", "channel": "ticker", "product_ids": []})
        ack = await ws.until(channel("subscriptions"))
        assert "ticker" not in ack["events"][0]["subscriptions"]
        seen_after = len(ws.frames)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 0.6
        while loop.time() < deadline:
            try:
                await ws.next(timeout=max(0.01, deadline - loop.time()))
            except TimeoutError:
                break
        assert not any(f["channel"] == "ticker" for f in ws.frames[seen_after:])


async def test_sim1_ws_level2_snapshot_updates_match_rest_book(env):
    venue, session = env
    rest = Rest(venue, session)
    books: L2Books = {}
    async with ws_connect(venue, session) as ws:
        await ws.send(sub("level2", "ETH-USD"))
        snap = await ws.until(channel("l2_data"))
        assert snap["events"][0]["type"] == "snapshot"
        updates = 0
        for frame in [snap]:
            apply_l2(books, frame)
        async with asyncio.timeout(5):
            while updates < 5:
                frame = await ws.until(channel("l2_data"))
                assert frame["events"][0]["type"] == "update"
                assert {u["side"] for u in frame["events"][0]["updates"]} <= {"bid", "offer"}
                apply_l2(books, frame)
                updates += 1
        venue.driver.tick_s = 60.0  # freeze the market (next step in a minute)
        await asyncio.sleep(0.1)
        while True:
            try:
                apply_l2(books, await ws.until(channel("l2_data"), timeout=0.3))
            except TimeoutError:
                break
        _, body, _ = await rest.get("/product_book", params={"product_id": "ETH-USD"})
    rest_bids = {Decimal(b["price"]): Decimal(b["size"]) for b in body["pricebook"]["bids"]}
    rest_asks = {Decimal(a["price"]): Decimal(a["size"]) for a in body["pricebook"]["asks"]}
    book = books["ETH-USD"]
    assert book["bid"] == rest_bids and book["offer"] == rest_asks


async def test_sim1_ws_status_snapshot_and_flag_update(env):
    venue, session = env
    async with ws_connect(venue, session) as ws:
        await ws.send(sub("status", "BTC-USD"))
        snap = await ws.until(channel("status"))
        product = snap["events"][0]["products"][0]
        assert product["id"] == "BTC-USD" and product["status"] == "online"
        venue.faults.set_product_flags("BTC-USD", cancel_only=True)
        update = await ws.until(channel("status"))
        assert update["events"][0]["type"] == "update"
        assert update["events"][0]["products"][0]["status_message"] == "cancel_only"
