"""SIM-1 market-data REST endpoints: shapes, filters and errors as Coinbase serves them."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, open_venue


@pytest.fixture
async def env():
    async with open_venue(trades_per_minute=600) as venue, aiohttp.ClientSession() as session:
        yield venue, Rest(venue, session)


async def test_sim1_time_strings(env):
    _venue, rest = env
    status, body, _ = await rest.get("/time", auth=False)
    assert status == 200
    assert set(body) == {"iso", "epochSeconds", "epochMillis"}
    assert isinstance(body["epochSeconds"], str) and isinstance(body["epochMillis"], str)
    assert body["iso"].endswith("Z")
    assert abs(int(body["epochSeconds"]) - time.time()) < 3


async def test_sim1_products_filters_and_paging(env):
    _venue, rest = env
    status, body, headers = await rest.get("/products")
    assert status == 200 and body["num_products"] == 3
    assert "x-ratelimit-remaining" in headers
    product = body["products"][0]
    for field in (
        "product_id",
        "price",
        "base_increment",
        "quote_increment",
        "base_min_size",
        "quote_min_size",
        "status",
        "trading_disabled",
        "cancel_only",
        "limit_only",
        "post_only",
        "product_type",
        "volume_24h",
        "price_percentage_change_24h",
    ):
        assert field in product
    assert all(isinstance(product[k], str) for k in ("price", "base_increment", "volume_24h"))
    status, body, _ = await rest.get(
        "/products", params=[("product_ids", "BTC-USD"), ("product_ids", "SOL-USD")]
    )
    assert [p["product_id"] for p in body["products"]] == ["BTC-USD", "SOL-USD"]
    status, body, _ = await rest.get(
        "/market/products", auth=False, params={"limit": "1", "offset": "1"}
    )
    assert [p["product_id"] for p in body["products"]] == ["ETH-USD"]
    status, body, _ = await rest.get("/products", params={"product_type": "FUTURE"})
    assert body["products"] == []
    status, body, _ = await rest.get("/products", params={"get_tradability_status": "True"})
    assert status == 200
    status, body, _ = await rest.get("/products", params={"get_tradability_status": "maybe"})
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"


async def test_sim1_product_and_not_found(env):
    _venue, rest = env
    status, body, _ = await rest.get("/products/BTC-USD")
    assert status == 200 and body["product_id"] == "BTC-USD"
    status, body, _ = await rest.get("/market/products/NOPE-USD", auth=False)
    assert status == 404
    assert body == {
        "error": "NOT_FOUND",
        "error_details": "Product NOPE-USD not supported",
        "message": "Product NOPE-USD not supported",
    }


async def test_sim1_candles_newest_first_strings_and_limit(env):
    venue, rest = env
    end = int(venue.market_now())
    params = {"start": str(end - 3600), "end": str(end), "granularity": "FIVE_MINUTE"}
    status, body, _ = await rest.get("/products/BTC-USD/candles", params=params)
    assert status == 200
    candles = body["candles"]
    assert len(candles) >= 12
    starts = [int(c["start"]) for c in candles]
    assert starts == sorted(starts, reverse=True)
    assert all(isinstance(v, str) for c in candles for v in c.values())
    assert all(s % 300 == 0 for s in starts)
    too_many = {"start": str(end - 351 * 60), "end": str(end), "granularity": "ONE_MINUTE"}
    status, body, _ = await rest.get(
        "/market/products/BTC-USD/candles", auth=False, params=too_many
    )
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"
    assert "number of candles requested should be less than 350" in body["error_details"]
    status, body, _ = await rest.get(
        "/products/BTC-USD/candles", params={**params, "granularity": "TEN_MINUTE"}
    )
    assert status == 400


async def test_sim1_ticker_requires_limit_and_lists_trades(env):
    venue, rest = env
    status, body, _ = await rest.get("/products/BTC-USD/ticker")
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"
    async with asyncio.timeout(10):
        while not venue.ctx.market.recent.get("BTC-USD"):
            await asyncio.sleep(0.05)
    status, body, _ = await rest.get(
        "/market/products/BTC-USD/ticker", auth=False, params={"limit": "5"}
    )
    assert status == 200 and 1 <= len(body["trades"]) <= 5
    trade = body["trades"][0]
    assert set(trade) >= {"trade_id", "product_id", "price", "size", "time", "side"}
    assert trade["side"] in ("BUY", "SELL")
    assert Decimal(body["best_bid"]) < Decimal(body["best_ask"])


async def test_sim1_best_bid_ask_and_product_book(env):
    _venue, rest = env
    status, body, _ = await rest.get(
        "/best_bid_ask", params=[("product_ids", "BTC-USD"), ("product_ids", "ETH-USD")]
    )
    assert status == 200
    assert [b["product_id"] for b in body["pricebooks"]] == ["BTC-USD", "ETH-USD"]
    book = body["pricebooks"][0]
    assert len(book["bids"]) == 1 and set(book["bids"][0]) == {"price", "size"}
    status, body, _ = await rest.get(
        "/product_book", params={"product_id": "BTC-USD", "limit": "5"}
    )
    assert status == 200
    assert set(body) >= {"pricebook", "last", "mid_market", "spread_bps", "spread_absolute"}
    bids = [Decimal(b["price"]) for b in body["pricebook"]["bids"]]
    asks = [Decimal(a["price"]) for a in body["pricebook"]["asks"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    assert len(bids) <= 5
    status, body, _ = await rest.get("/market/product_book", auth=False)
    assert status == 400


async def test_sim1_accounts_paging_and_lookup(env):
    _venue, rest = env
    status, body, _ = await rest.get("/accounts", params={"limit": "2"})
    assert status == 200 and body["size"] == 2 and body["has_next"] is True and body["cursor"]
    first = body["accounts"]
    status, body, _ = await rest.get("/accounts", params={"limit": "2", "cursor": body["cursor"]})
    currencies = [a["currency"] for a in first + body["accounts"]]
    assert len(currencies) == len(set(currencies))
    usd = next(a for a in first + body["accounts"] if a["currency"] == "USD")
    assert usd["available_balance"] == {"value": "100000", "currency": "USD"}
    status, body, _ = await rest.get(f"/accounts/{usd['uuid']}")
    assert status == 200 and body["account"]["uuid"] == usd["uuid"]
    status, body, _ = await rest.get("/accounts/00000000-0000-0000-0000-000000000000")
    assert status == 404
    status, body, _ = await rest.get("/accounts", params={"limit": "251"})
    assert status == 400


async def test_sim1_transaction_summary_numbers_and_strings(env):
    _venue, rest = env
    status, body, _ = await rest.get("/transaction_summary")
    assert status == 200
    assert isinstance(body["total_volume"], int | float)
    assert isinstance(body["total_fees"], int | float)
    assert body["fee_tier"]["maker_fee_rate"] == "0.004"
    assert body["fee_tier"]["taker_fee_rate"] == "0.006"


async def test_sim1_get_with_json_body_tolerated(env):
    _venue, rest = env
    status, body, _ = await rest.call("GET", "/accounts", body={})
    assert status == 200 and body["accounts"]
