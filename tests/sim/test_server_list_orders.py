"""SIM-1 `GET /orders/historical/batch` honours every filter the real API documents
(`time_in_forces`, `order_types`, `asset_filters`, `product_type`,
`order_placement_source`, `contract_expiry_type`, `retail_portfolio_id`, `sort_by`, …) and
refuses values outside its enums."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, open_venue


@pytest.fixture
async def env():
    async with open_venue(driver=False) as venue, aiohttp.ClientSession() as session:
        venue.step()
        rest = Rest(venue, session)
        yield venue, rest, await _place_mix(venue, rest)


async def _place_mix(venue, rest: Rest) -> dict[str, str]:
    """One order of each time in force (and an ETH one); client id → order id."""
    bid, ask = await rest.best()
    last = await rest.last_price()
    end = datetime.fromtimestamp(venue.market_now() + 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    configs = {
        "gtc": ("BUY", {"limit_limit_gtc": {"base_size": "0.001", "limit_price": str(bid - 40)}}),
        "gtd": (
            "BUY",
            {
                "limit_limit_gtd": {
                    "base_size": "0.001",
                    "limit_price": str(bid - 20),
                    "end_time": end,
                }
            },
        ),
        "ioc": ("BUY", {"sor_limit_ioc": {"base_size": "0.001", "limit_price": str(ask)}}),
        "fok": ("BUY", {"limit_limit_fok": {"base_size": "0.001", "limit_price": str(ask)}}),
        "mkt": ("BUY", {"market_market_ioc": {"quote_size": "10.00"}}),
        "stop": (
            "BUY",
            {
                "stop_limit_stop_limit_gtc": {
                    "base_size": "0.001",
                    "limit_price": str((last * 2).quantize(Decimal("0.01"))),
                    "stop_price": str((last * 2).quantize(Decimal("0.01"))),
                    "stop_direction": "STOP_DIRECTION_STOP_UP",
                }
            },
        ),
    }
    ids = {}
    for cid, (side, config) in configs.items():
        created = await rest.order(cid, side, config)
        assert created["success"] is True, created
        ids[cid] = created["order_id"]
    eth = await rest.limit_order("eth", "BUY", "0.01", "100.00", product="ETH-USD")
    ids["eth"] = eth["order_id"]
    return ids


async def _listed(rest: Rest, params) -> list[str]:
    status, body, _ = await rest.get("/orders/historical/batch", params=params)
    assert status == 200, body
    return [o["client_order_id"] for o in body["orders"]]


async def _refused(rest: Rest, params) -> None:
    status, body, _ = await rest.get("/orders/historical/batch", params=params)
    assert status == 400 and body["error"] == "INVALID_ARGUMENT", params


async def test_sim1_list_orders_time_in_forces(env):
    _venue, rest, _ids = env
    assert await _listed(rest, {"time_in_forces": "FILL_OR_KILL"}) == ["fok"]
    assert await _listed(rest, {"time_in_forces": "GOOD_UNTIL_DATE_TIME"}) == ["gtd"]
    gtc = await _listed(rest, {"time_in_forces": "GOOD_UNTIL_CANCELLED"})
    assert gtc == ["eth", "stop", "gtc"]
    both = [("time_in_forces", "IMMEDIATE_OR_CANCEL"), ("time_in_forces", "FILL_OR_KILL")]
    assert await _listed(rest, both) == ["mkt", "fok", "ioc"]
    assert len(await _listed(rest, {"time_in_forces": "UNKNOWN_TIME_IN_FORCE"})) == 7
    await _refused(rest, {"time_in_forces": "GTC"})


async def test_sim1_list_orders_types_assets_and_scope(env):
    _venue, rest, _ids = env
    assert await _listed(rest, {"order_types": "STOP_LIMIT"}) == ["stop"]
    assert await _listed(rest, {"order_types": "MARKET"}) == ["mkt"]
    await _refused(rest, {"order_types": "ICEBERG"})
    assert await _listed(rest, {"asset_filters": "ETH"}) == ["eth"]
    assert len(await _listed(rest, {"asset_filters": "USD"})) == 7
    assert await _listed(rest, {"product_type": "FUTURE"}) == []
    assert len(await _listed(rest, {"product_type": "SPOT"})) == 7
    await _refused(rest, {"product_type": "OPTION"})
    assert await _listed(rest, {"order_placement_source": "RETAIL_SIMPLE"}) == []
    assert len(await _listed(rest, {"order_placement_source": "RETAIL_ADVANCED"})) == 7
    assert await _listed(rest, {"contract_expiry_type": "PERPETUAL"}) == []
    assert await _listed(rest, {"retail_portfolio_id": "another-portfolio"}) == []
    _, portfolios, _ = await rest.get("/portfolios")
    own = {"retail_portfolio_id": portfolios["portfolios"][0]["uuid"]}
    assert len(await _listed(rest, own)) == 7
    await _refused(rest, {"order_side": "HOLD"})
    await _refused(rest, {"order_status": "DONE"})


async def test_sim1_list_orders_sort_by(env):
    _venue, rest, _ids = env
    status, body, _ = await rest.get(
        "/orders/historical/batch", params={"sort_by": "LIMIT_PRICE", "order_status": "OPEN"}
    )
    assert status == 200
    prices = [
        Decimal(next(iter(o["order_configuration"].values()))["limit_price"])
        for o in body["orders"]
    ]
    assert prices == sorted(prices, reverse=True) and len(prices) == 4
    filled_first = await _listed(rest, {"sort_by": "LAST_FILL_TIME"})
    assert set(filled_first[:3]) == {"ioc", "fok", "mkt"}
    await _refused(rest, {"sort_by": "SIZE"})
