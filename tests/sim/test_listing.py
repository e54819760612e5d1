"""SIM-1: a product delisted and listed again while clients run, over the control endpoint
(`POST /_sim/products/{id}/listing`): gone from every route, its working orders cancelled,
its WebSocket channels silent; listed again, served and tradable again."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, channel, open_venue, ws_connect

LISTING = "/_sim/products/ETH-USD/listing"


@pytest.fixture
async def env():
    async with (
        open_venue(driver=False, rate_limit_private=None, rate_limit_public=None) as venue,
        aiohttp.ClientSession() as session,
    ):
        venue.step()
        yield venue, Rest(venue, session)


async def _listed_ids(rest: Rest) -> list[str]:
    status, body, _ = await rest.get("/market/products", auth=False)
    assert status == 200, body
    return [p["product_id"] for p in body["products"]]


async def test_sim1_a_delisted_product_is_gone_from_every_route_and_its_orders_cancelled(env):
    _, rest = env
    bid, _ = await rest.best("ETH-USD")
    price = str((bid / 2).quantize(Decimal("0.01")))
    resting = await rest.limit_order("rest-1", "BUY", "0.01", price, product="ETH-USD")
    assert resting["success"] is True, resting
    order_id = resting["success_response"]["order_id"]
    status, answer, _ = await rest.post(LISTING, {"listed": False}, auth=False)
    assert status == 200 and answer == {
        "product_id": "ETH-USD",
        "listed": False,
        "cancelled": [order_id],
    }
    assert "ETH-USD" not in await _listed_ids(rest)
    assert "BTC-USD" in await _listed_ids(rest)
    for path in ("/products/ETH-USD", "/market/products/ETH-USD", "/products/ETH-USD/ticker"):
        assert (await rest.get(path, params={"limit": "1"}))[0] == 404, path
    candles = {"start": "0", "end": "60", "granularity": "ONE_MINUTE"}
    assert (await rest.get("/products/ETH-USD/candles", params=candles))[0] == 404
    order = await rest.get_order(order_id)
    assert order["status"] == "CANCELLED"
    assert (await rest.balance("USD"))[1] == 0  # its hold released
    refused = await rest.order(
        "after-delist",
        "BUY",
        {"limit_limit_gtc": {"base_size": "0.01", "limit_price": price}},
        product="ETH-USD",
    )
    assert refused["success"] is False
    assert refused["error_response"]["error"] == "INVALID_PRODUCT_ID"
    # listed again: served and tradable; nothing of it was kept cancelled
    status, answer, _ = await rest.post(LISTING, {"listed": True}, auth=False)
    assert status == 200 and answer["cancelled"] == []
    assert "ETH-USD" in await _listed_ids(rest)
    assert (await rest.get("/products/ETH-USD"))[0] == 200
    again = await rest.limit_order("rest-2", "BUY", "0.01", price, product="ETH-USD")
    assert again["success"] is True


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (LISTING, {}),
        (LISTING, {"listed": "false"}),
        (LISTING, {"listed": 0}),
        ("/_sim/products/NOPE-USD/listing", {"listed": False}),
    ],
)
async def test_sim1_listing_refuses_a_bad_body_or_an_unknown_product(env, path, body):
    _, rest = env
    status, answer, _ = await rest.post(path, body, auth=False)
    assert status == 400, answer
    assert "ETH-USD" in await _listed_ids(rest)


async def test_sim1_a_delisted_products_ticker_is_silent_until_it_is_listed_again():
    async with (
        open_venue(trades_per_minute=1200) as venue,
        aiohttp.ClientSession() as session,
        ws_connect(venue, session) as ws,
    ):
        rest = Rest(venue, session)
        await ws.send(
            {"type": "subscribe", "channel": "ticker", "product_ids": ["BTC-USD", "ETH-USD"]}
        )
        await _ticker_of(ws, "ETH-USD")
        await rest.post(LISTING, {"listed": False}, auth=False)
        await asyncio.sleep(0.1)  # a frame already on its way
        ws.frames.clear()
        await _ticker_of(ws, "BTC-USD")
        await asyncio.sleep(1.0)
        assert not [f for f in ws.frames if _names(f, "ETH-USD")]
        await rest.post(LISTING, {"listed": True}, auth=False)
        await _ticker_of(ws, "ETH-USD")


def _names(frame: dict, product_id: str) -> bool:
    return frame.get("channel") == "ticker" and any(
        t["product_id"] == product_id for e in frame["events"] for t in e["tickers"]
    )


async def _ticker_of(ws, product_id: str) -> None:
    async with asyncio.timeout(10):
        while not _names(await ws.until(channel("ticker")), product_id):
            pass
