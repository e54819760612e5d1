"""SIM-1 fidelity: `market/products` and `products` answer with exactly the fields of the
real 2026 body (compared key by key with the captured response), the `pagination` object,
and honour `limit`, `offset`, `product_ids` and `get_tradability_status`."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, open_venue


def _captured_products(shared_data) -> dict:
    path = shared_data / "coinbase-ws-capture-2026" / "advanced-trade-btc-eth.jsonl.gz"
    with gzip.open(path, "rt") as handle:
        for line in handle:
            record = json.loads(line)
            if record["t"] == "http" and record["url"].endswith("/market/products"):
                return json.loads(record["data"])
    raise AssertionError("no /market/products body in the capture")


@pytest.fixture
async def env():
    async with (
        open_venue(driver=False, products=5) as venue,
        aiohttp.ClientSession() as session,
    ):
        venue.step()
        yield venue, Rest(venue, session)


async def test_sim1_product_fields_equal_the_captured_body(env, shared_data):
    _venue, rest = env
    real = _captured_products(shared_data)
    real_keys = set(real["products"][0])
    assert all(set(p) == real_keys for p in real["products"])
    for path, auth in (("/market/products", False), ("/products", True)):
        status, body, _ = await rest.get(path, auth=auth)
        assert status == 200
        assert set(body) == set(real), path
        assert set(body["pagination"]) == set(real["pagination"])
        for product in body["products"]:
            assert set(product) == real_keys, sorted(set(product) ^ real_keys)
            for key, value in real["products"][0].items():  # same JSON types
                assert type(product[key]) is type(value), key
    status, one, _ = await rest.get("/market/products/BTC-USD", auth=False)
    assert status == 200 and set(one) == real_keys
    assert one["base_name"] == "Bitcoin" and one["quote_name"] == "US Dollar"
    assert one["new_at"].endswith("Z") and Decimal(one["low_24h"]) <= Decimal(one["high_24h"])
    assert Decimal(one["low_24h"]) <= Decimal(one["price"]) <= Decimal(one["high_24h"])
    assert one["best_bid_price"] == one["best_ask_price"] == one["mid_market_price"] == ""


async def test_sim1_products_pagination_limit_offset_and_ids(env):
    _venue, rest = env
    status, body, _ = await rest.get("/market/products", auth=False)
    every = [p["product_id"] for p in body["products"]]
    assert body["num_products"] == 5 and len(every) == 5
    assert body["pagination"] == {
        "prev_cursor": "",
        "next_cursor": "",
        "has_next": False,
        "has_prev": False,
    }
    status, body, _ = await rest.get("/market/products", auth=False, params={"limit": "2"})
    assert [p["product_id"] for p in body["products"]] == every[:2]
    assert body["num_products"] == 5
    assert body["pagination"]["has_next"] is True and body["pagination"]["has_prev"] is False
    assert body["pagination"]["next_cursor"] == "2"
    params = {"limit": "2", "offset": "4"}
    status, body, _ = await rest.get("/products", params=params)
    assert [p["product_id"] for p in body["products"]] == every[4:]
    assert body["pagination"]["has_next"] is False and body["pagination"]["has_prev"] is True
    ids = [("product_ids", every[3]), ("product_ids", every[1]), ("product_ids", "NOPE-USD")]
    status, body, _ = await rest.get("/market/products", auth=False, params=ids)
    assert [p["product_id"] for p in body["products"]] == [every[1], every[3]]
    assert body["num_products"] == 2
    status, body, _ = await rest.get("/products", params={"limit": "-1"})
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"


async def test_sim1_products_tradability_status_fills_view_only(env):
    _venue, rest = env
    status, _, _ = await rest.post(
        "/_sim/products/ETH-USD/flags", {"trading_disabled": True}, auth=False
    )
    assert status == 200
    params = {"get_tradability_status": "true", "product_ids": "ETH-USD"}
    status, body, _ = await rest.get("/market/products", auth=False, params=params)
    assert body["products"][0]["view_only"] is True
    status, body, _ = await rest.get(
        "/market/products", auth=False, params={"product_ids": "ETH-USD"}
    )
    assert body["products"][0]["view_only"] is False
