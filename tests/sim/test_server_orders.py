"""SIM-1 order endpoints: create/preview/cancel/list/fills as Coinbase answers them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, open_venue
from trader.sim.server.encode_orders import order_json


@pytest.fixture
async def env():
    async with open_venue(driver=False) as venue, aiohttp.ClientSession() as session:
        venue.step()
        yield venue, Rest(venue, session)


async def _book_top(rest: Rest) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    _, body, _ = await rest.get("/product_book", params={"product_id": "BTC-USD", "limit": "1"})
    bid, ask = body["pricebook"]["bids"][0], body["pricebook"]["asks"][0]
    return (
        Decimal(bid["price"]),
        Decimal(bid["size"]),
        Decimal(ask["price"]),
        Decimal(ask["size"]),
    )


async def _order(rest: Rest, order_id: str) -> dict:
    status, body, _ = await rest.get(f"/orders/historical/{order_id}")
    assert status == 200, body
    return body["order"]


async def test_sim1_market_buy_fills_and_order_has_every_field(env):
    venue, rest = env
    created = await rest.market_order("cid-market-1", "BUY", base_size="0.001")
    assert created["success"] is True
    assert created["failure_reason"] == "UNKNOWN_FAILURE_REASON"
    assert created["order_id"] == created["success_response"]["order_id"]
    assert created["success_response"]["client_order_id"] == "cid-market-1"
    assert created["order_configuration"] == {"market_market_ioc": {"base_size": "0.001"}}
    order = await _order(rest, created["order_id"])
    assert order["status"] == "FILLED" and order["filled_size"] == "0.001"
    assert order["time_in_force"] == "IMMEDIATE_OR_CANCEL" and order["order_type"] == "MARKET"
    sample = order_json(venue.engine.orders()[0], "u", "p")
    assert set(order) == set(sample)
    for key in (
        "filled_size",
        "average_filled_price",
        "number_of_fills",
        "filled_value",
        "total_fees",
        "completion_percentage",
        "outstanding_hold_amount",
    ):
        assert isinstance(order[key], str), key
    assert order["completion_percentage"] == "100"
    assert datetime.fromisoformat(order["created_time"].replace("Z", "+00:00")).tzinfo == UTC


async def test_sim1_partial_fill_then_cancel(env):
    _venue, rest = env
    _bid, _bid_size, ask, ask_size = await _book_top(rest)
    size = (ask_size + Decimal("0.5")).quantize(Decimal("0.00000001"))
    created = await rest.limit_order("cid-partial", "BUY", str(size), str(ask))
    order = await _order(rest, created["order_id"])
    assert order["status"] == "OPEN"
    assert Decimal(order["filled_size"]) == ask_size
    assert order["number_of_fills"] == "1"
    status, body, _ = await rest.post(
        "/orders/batch_cancel", {"order_ids": [created["order_id"], "nope"]}
    )
    assert status == 200
    assert body["results"][0] == {
        "success": True,
        "failure_reason": "UNKNOWN_CANCEL_FAILURE_REASON",
        "order_id": created["order_id"],
    }
    assert body["results"][1]["success"] is False
    assert body["results"][1]["failure_reason"] == "UNKNOWN_CANCEL_ORDER"
    assert (await _order(rest, created["order_id"]))["status"] == "CANCELLED"


async def test_sim1_sor_limit_ioc_partial_remainder_cancelled(env):
    _venue, rest = env
    _bid, _bid_size, ask, ask_size = await _book_top(rest)
    size = (ask_size * 2).quantize(Decimal("0.00000001"))
    body = {
        "client_order_id": "cid-ioc",
        "product_id": "BTC-USD",
        "side": "BUY",
        "order_configuration": {"sor_limit_ioc": {"base_size": str(size), "limit_price": str(ask)}},
    }
    status, created, _ = await rest.post("/orders", body)
    assert status == 200 and created["success"] is True
    order = await _order(rest, created["order_id"])
    assert order["status"] == "CANCELLED" and Decimal(order["filled_size"]) == ask_size


async def test_sim1_post_only_crossing_rejected(env):
    _venue, rest = env
    _bid, _bs, ask, _as = await _book_top(rest)
    created = await rest.limit_order("cid-po", "BUY", "0.001", str(ask), post_only=True)
    assert created["success"] is False
    error = created["error_response"]
    assert error["new_order_failure_reason"] == "INVALID_LIMIT_PRICE_POST_ONLY"
    assert created["order_configuration"]["limit_limit_gtc"]["post_only"] is True
    passive = await rest.limit_order("cid-po-ok", "BUY", "0.001", str(_bid), post_only=True)
    assert passive["success"] is True


@pytest.mark.parametrize(
    ("size", "price", "reason"),
    [
        ("0.000000001", "1000.00", "INVALID_SIZE_PRECISION"),
        ("0.001", "1000.001", "INVALID_PRICE_PRECISION"),
        ("100", "60000.00", "INSUFFICIENT_FUND"),
    ],
)
async def test_sim1_increment_and_funds_rejections(env, size, price, reason):
    venue, rest = env
    created = await rest.limit_order(f"cid-{reason}", "BUY", size, price)
    assert created["success"] is False
    assert created["error_response"]["new_order_failure_reason"] == reason
    assert venue.engine.orders() == []


async def test_sim1_duplicate_client_order_id_returns_original(env):
    venue, rest = env
    first = await rest.limit_order("cid-dup", "BUY", "0.001", "1000.00")
    again = await rest.limit_order("cid-dup", "BUY", "0.002", "1001.00")
    assert again["success"] is True
    assert again["success_response"] == first["success_response"]
    assert len(venue.engine.orders()) == 1
    _status, ledger, _ = await rest.get("/_sim/ledger", auth=False)
    assert [o["client_order_id"] for o in ledger["orders"]] == ["cid-dup"]


async def test_sim1_malformed_and_unsupported_orders(env):
    _venue, rest = env
    status, body, _ = await rest.call("POST", "/orders", body=None)
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"
    good = {
        "client_order_id": "x1",
        "product_id": "BTC-USD",
        "side": "BUY",
        "order_configuration": {"limit_limit_gtc": {"base_size": "0.001", "limit_price": "1000"}},
    }
    for broken in (
        {**good, "product_id": None},
        {**good, "order_configuration": {}},
        {
            **good,
            "order_configuration": {"limit_limit_gtc": {"base_size": "abc", "limit_price": "1"}},
        },
        {
            **good,
            "order_configuration": {"limit_limit_gtc": {"base_size": 0.001, "limit_price": "1"}},
        },
        {
            **good,
            "order_configuration": {
                "limit_limit_gtd": {"base_size": "0.001", "limit_price": "1000", "end_time": "soon"}
            },
        },
    ):
        status, body, _ = await rest.post("/orders", broken)
        assert status == 400 and body["error"] == "INVALID_ARGUMENT", broken
        assert set(body) == {"error", "error_details", "message"}
    status, body, _ = await rest.post("/orders", {**good, "side": "HOLD"})
    assert status == 200 and body["error_response"]["new_order_failure_reason"] == "INVALID_SIDE"
    twap = {"twap_limit_gtd": {"base_size": "1", "limit_price": "1", "end_time": "2030-01-01Z"}}
    stop = {"stop_limit_stop_limit_gtc": {"base_size": "1", "limit_price": "1", "stop_price": "1"}}
    for unsupported in (twap, stop):  # stop-limit without its stop_direction
        status, body, _ = await rest.post("/orders", {**good, "order_configuration": unsupported})
        assert status == 200 and body["success"] is False
        reason = body["error_response"]["new_order_failure_reason"]
        assert reason == "UNSUPPORTED_ORDER_CONFIGURATION"


async def test_sim1_gtd_order_expires(env):
    venue, rest = env
    now = venue.market_now()
    end = datetime.fromtimestamp(now + 2, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "client_order_id": "cid-gtd",
        "product_id": "BTC-USD",
        "side": "BUY",
        "order_configuration": {
            "limit_limit_gtd": {
                "base_size": "0.001",
                "limit_price": "1000.00",
                "end_time": end,
                "post_only": False,
            }
        },
    }
    _status, created, _ = await rest.post("/orders", body)
    assert created["success"] is True
    order = await _order(rest, created["order_id"])
    assert order["time_in_force"] == "GOOD_UNTIL_DATE_TIME" and order["status"] == "OPEN"
    venue.step(now + 5)
    assert (await _order(rest, created["order_id"]))["status"] == "EXPIRED"


async def test_sim1_list_orders_filters_and_cursor(env):
    _venue, rest = env
    for n in range(5):
        await rest.limit_order(f"cid-list-{n}", "BUY", "0.001", f"{1000 + n}.00")
    await rest.limit_order("cid-list-eth", "BUY", "0.01", "100.00", product="ETH-USD")
    await rest.market_order("cid-list-mkt", "BUY", base_size="0.001")
    status, body, _ = await rest.get(
        "/orders/historical/batch", params={"order_status": "OPEN", "limit": "3"}
    )
    assert status == 200 and body["has_next"] is True and body["sequence"] == "0"
    page1 = [o["client_order_id"] for o in body["orders"]]
    status, body, _ = await rest.get(
        "/orders/historical/batch",
        params={"order_status": "OPEN", "limit": "3", "cursor": body["cursor"]},
    )
    page2 = [o["client_order_id"] for o in body["orders"]]
    assert body["has_next"] is False and body["cursor"] == ""
    assert page1 + page2 == ["cid-list-eth"] + [f"cid-list-{n}" for n in range(4, -1, -1)]
    status, body, _ = await rest.get(
        "/orders/historical/batch", params=[("product_ids", "ETH-USD")]
    )
    assert [o["client_order_id"] for o in body["orders"]] == ["cid-list-eth"]
    status, body, _ = await rest.get("/orders/historical/batch", params={"order_status": "FILLED"})
    assert [o["client_order_id"] for o in body["orders"]] == ["cid-list-mkt"]
    status, body, _ = await rest.get(
        "/orders/historical/batch", params=[("order_status", "OPEN"), ("order_status", "FILLED")]
    )
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"
    future = datetime.fromtimestamp(_venue.market_now() + 3600, UTC).isoformat()
    status, body, _ = await rest.get(
        "/orders/historical/batch", params={"order_status": "FILLED", "start_date": future}
    )
    assert body["orders"] == []


async def test_sim1_fills_filters_and_cursor(env):
    _venue, rest = env
    a = await rest.market_order("cid-f1", "BUY", base_size="0.001")
    b = await rest.market_order("cid-f2", "BUY", quote_size="50.00")
    status, body, _ = await rest.get("/orders/historical/fills", params={"limit": "1"})
    assert status == 200 and len(body["fills"]) == 1 and body["cursor"]
    fill = body["fills"][0]
    assert fill["order_id"] == b["order_id"] and fill["liquidity_indicator"] == "TAKER"
    assert set(fill) >= {
        "entry_id",
        "trade_id",
        "trade_time",
        "price",
        "size",
        "commission",
        "product_id",
        "sequence_timestamp",
        "side",
        "trade_type",
    }
    status, body, _ = await rest.get(
        "/orders/historical/fills", params={"order_ids": a["order_id"]}
    )
    assert {f["order_id"] for f in body["fills"]} == {a["order_id"]}
    commission = sum(Decimal(f["commission"]) for f in body["fills"])
    value = sum(Decimal(f["price"]) * Decimal(f["size"]) for f in body["fills"])
    assert commission == value * Decimal("0.006")


async def test_sim1_preview_and_cancel_limits(env):
    _venue, rest = env
    body = {
        "product_id": "BTC-USD",
        "side": "BUY",
        "order_configuration": {"market_market_ioc": {"quote_size": "100.00"}},
    }
    status, preview, _ = await rest.post("/orders/preview", body)
    assert status == 200
    assert set(preview) >= {
        "order_total",
        "commission_total",
        "errs",
        "warning",
        "quote_size",
        "base_size",
        "best_bid",
        "best_ask",
        "is_max",
        "slippage",
        "preview_id",
    }
    assert Decimal(preview["commission_total"]) > 0
    status, body, _ = await rest.post(
        "/orders/batch_cancel", {"order_ids": [str(n) for n in range(101)]}
    )
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"
