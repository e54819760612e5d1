"""SIM-1 `user` channel: OPEN-order snapshot in batches of 50, then one update per change."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, channel, make_jwt, open_venue, ws_connect


@pytest.fixture
async def env():
    async with (
        open_venue(driver=False, rate_limit_private=None) as venue,
        aiohttp.ClientSession() as session,
    ):
        venue.step()
        yield venue, Rest(venue, session)


async def _subscribe_user(venue, rest, ws, products=()) -> list[dict]:
    token = make_jwt(rest.name, rest.key, now=venue.now())
    await ws.send(
        {"type": "subscribe", "channel": "user", "product_ids": list(products), "jwt": token}
    )
    batches = []
    while True:
        frame = await ws.until(channel("user"))
        event = frame["events"][0]
        assert event["type"] == "snapshot"
        batches.append(event["orders"])
        if len(event["orders"]) < 50:
            return batches


async def test_sim1_user_snapshot_batches_of_50(env):
    venue, rest = env
    for n in range(60):
        await rest.limit_order(f"cid-snap-{n}", "BUY", "0.001", f"{1000 + n}.00")
    async with ws_connect(venue, rest.session) as ws:
        batches = await _subscribe_user(venue, rest, ws)
        assert [len(b) for b in batches] == [50, 10]
        ack = await ws.until(channel("subscriptions"))
        assert ack["events"][0]["subscriptions"] == {"user": [venue.ctx.user_id]}
        assert {o["status"] for b in batches for o in b} == {"OPEN"}
    for n in range(40):
        await rest.limit_order(f"cid-snap2-{n}", "BUY", "0.001", f"{2000 + n}.00")
    async with ws_connect(venue, rest.session) as ws:
        batches = await _subscribe_user(venue, rest, ws)
        assert [len(b) for b in batches] == [50, 50, 0]


async def test_sim1_user_order_life_open_partial_cancelled_and_filled(env):
    venue, rest = env
    _, body, _ = await rest.get("/product_book", params={"product_id": "BTC-USD", "limit": "1"})
    ask = body["pricebook"]["asks"][0]
    ask_price, ask_size = Decimal(ask["price"]), Decimal(ask["size"])
    async with ws_connect(venue, rest.session) as ws:
        assert await _subscribe_user(venue, rest, ws) == [[]]
        resting = await rest.limit_order("cid-life", "BUY", "0.002", "1000.00")
        update = await ws.until(channel("user"))
        row = update["events"][0]["orders"][0]
        assert update["events"][0]["type"] == "update"
        assert row["status"] == "OPEN" and row["client_order_id"] == "cid-life"
        assert row["cumulative_quantity"] == "0" and row["leaves_quantity"] == "0.002"
        assert row["post_only"] == "false" and row["order_type"] == "LIMIT"
        for key in (
            "avg_price",
            "total_fees",
            "filled_value",
            "number_of_fills",
            "outstanding_hold_amount",
            "creation_time",
            "time_in_force",
        ):
            assert key in row
        size = (ask_size + Decimal("0.01")).quantize(Decimal("0.00000001"))
        partial = await rest.limit_order("cid-partial", "BUY", str(size), str(ask_price))
        row = (await ws.until(channel("user")))["events"][0]["orders"][0]
        assert row["order_id"] == partial["order_id"] and row["status"] == "OPEN"
        assert Decimal(row["cumulative_quantity"]) == ask_size
        assert Decimal(row["leaves_quantity"]) == Decimal("0.01")
        assert Decimal(row["avg_price"]) == ask_price and Decimal(row["total_fees"]) > 0
        await rest.post("/orders/batch_cancel", {"order_ids": [resting["order_id"]]})
        row = (
            await ws.until(
                lambda f: (
                    f["channel"] == "user"
                    and f["events"][0]["orders"][0]["order_id"] == resting["order_id"]
                )
            )
        )["events"][0]["orders"][0]
        assert row["status"] == "CANCELLED"
        assert row["leaves_quantity"] == "0"
        await rest.market_order("cid-mkt", "SELL", base_size="0.001")
        rows = []
        while not rows or rows[-1]["status"] != "FILLED":
            frame = await ws.until(channel("user"))
            rows.append(frame["events"][0]["orders"][0])
        assert (
            rows[-1]["client_order_id"] == "cid-mkt" and rows[-1]["cumulative_quantity"] == "0.001"
        )
        seqs = [f["sequence_num"] for f in ws.frames]
        assert seqs == list(range(len(seqs)))


async def test_sim1_user_channel_product_filter(env):
    venue, rest = env
    async with ws_connect(venue, rest.session) as ws:
        await _subscribe_user(venue, rest, ws, products=["ETH-USD"])
        await rest.limit_order("cid-btc", "BUY", "0.001", "1000.00")
        await rest.limit_order("cid-eth", "BUY", "0.01", "100.00", product="ETH-USD")
        row = (await ws.until(channel("user")))["events"][0]["orders"][0]
        assert row["client_order_id"] == "cid-eth"
