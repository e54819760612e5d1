"""SIM-1 portfolio and key endpoints (SDK get_portfolios, get_portfolio_breakdown,
get_api_key_permissions) and close_position, which the real API keeps for futures
positions: the venue's products are all SPOT, so it is refused in the create-order shape."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, open_venue

SPOT_POSITION_KEYS = {
    "asset",
    "account_uuid",
    "total_balance_fiat",
    "total_balance_crypto",
    "available_to_trade_fiat",
    "allocation",
    "cost_basis",
    "asset_img_url",
    "is_cash",
    "average_entry_price",
    "asset_uuid",
    "available_to_trade_crypto",
    "unrealized_pnl",
    "available_to_transfer_fiat",
    "available_to_transfer_crypto",
    "asset_color",
    "account_type",
    "funding_pnl",
    "available_to_send_fiat",
    "available_to_send_crypto",
}


@pytest.fixture
async def env():
    async with open_venue(driver=False) as venue, aiohttp.ClientSession() as session:
        venue.step()
        yield venue, Rest(venue, session)


async def _portfolio_uuid(rest: Rest) -> str:
    status, body, _ = await rest.get("/portfolios")
    assert status == 200
    (portfolio,) = body["portfolios"]
    assert portfolio == {
        "name": "Default",
        "uuid": portfolio["uuid"],
        "type": "DEFAULT",
        "deleted": False,
    }
    return str(portfolio["uuid"])


async def test_sim1_portfolios_list_and_type_filter(env):
    _venue, rest = env
    uuid = await _portfolio_uuid(rest)
    _, accounts, _ = await rest.get("/accounts")
    assert {a["retail_portfolio_id"] for a in accounts["accounts"]} == {uuid}
    status, body, _ = await rest.get("/portfolios", params={"portfolio_type": "DEFAULT"})
    assert [p["uuid"] for p in body["portfolios"]] == [uuid]
    status, body, _ = await rest.get("/portfolios", params={"portfolio_type": "INTX"})
    assert status == 200 and body == {"portfolios": []}
    status, body, _ = await rest.get("/portfolios", params={"portfolio_type": "SAVINGS"})
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"


async def test_sim1_portfolio_breakdown_values_spot_positions(env):
    _venue, rest = env
    uuid = await _portfolio_uuid(rest)
    bought = await rest.market_order("pf-buy", "BUY", base_size="0.01")
    order = await rest.get_order(bought["order_id"])
    status, body, _ = await rest.get(f"/portfolios/{uuid}")
    assert status == 200
    breakdown = body["breakdown"]
    assert breakdown["portfolio"]["uuid"] == uuid
    assert breakdown["perp_positions"] == [] and breakdown["futures_positions"] == []
    positions = {p["asset"]: p for p in breakdown["spot_positions"]}
    assert set(positions) == {"USD", "BTC"}
    assert all(set(p) == SPOT_POSITION_KEYS for p in positions.values())
    btc, usd = positions["BTC"], positions["USD"]
    assert btc["total_balance_crypto"] == 0.01 and btc["is_cash"] is False
    cost = Decimal(order["total_value_after_fees"])
    assert Decimal(btc["cost_basis"]["value"]) == cost
    assert Decimal(btc["average_entry_price"]["value"]) == cost / Decimal("0.01")
    assert usd["is_cash"] is True and Decimal(str(usd["total_balance_crypto"])) == 100000 - cost
    balances = breakdown["portfolio_balances"]
    total = Decimal(balances["total_balance"]["value"])
    assert balances["total_balance"]["currency"] == "USD"
    assert total == Decimal(balances["total_cash_equivalent_balance"]["value"]) + Decimal(
        balances["total_crypto_balance"]["value"]
    )
    assert abs(sum(p["allocation"] for p in positions.values()) - 1.0) < 1e-9
    status, body, _ = await rest.get("/portfolios/00000000-0000-0000-0000-000000000000")
    assert status == 404 and body["error"] == "NOT_FOUND"


async def test_sim1_key_permissions(env):
    _venue, rest = env
    uuid = await _portfolio_uuid(rest)
    status, body, _ = await rest.get("/key_permissions")
    assert status == 200
    assert body == {
        "can_view": True,
        "can_trade": True,
        "can_transfer": False,
        "portfolio_uuid": uuid,
        "portfolio_type": "DEFAULT",
    }
    status, _, _ = await rest.get("/key_permissions", auth=False)
    assert status == 401


async def test_sim1_close_position_refused_for_spot_products(env):
    venue, rest = env
    body = {"client_order_id": "close-1", "product_id": "BTC-USD", "size": "0.01"}
    status, data, _ = await rest.post("/orders/close_position", body)
    assert status == 200 and data["success"] is False
    error = data["error_response"]
    assert error["new_order_failure_reason"] == "INVALID_PRODUCT_ID"
    assert set(error) == {
        "error",
        "message",
        "error_details",
        "preview_failure_reason",
        "new_order_failure_reason",
    }
    assert data["order_configuration"] == {"market_market_ioc": {"base_size": "0.01"}}
    assert venue.engine.orders() == []
    status, data, _ = await rest.post("/orders/close_position", {"client_order_id": "x"})
    assert status == 400 and data["error"] == "INVALID_ARGUMENT"
