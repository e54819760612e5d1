"""SIM-1 `POST /orders/edit` and `/orders/edit_preview` (SDK edit_order, preview_edit_order):
an OPEN limit GTC order gets a new price and/or total size; a refused edit answers 200
`success: false` with Coinbase's edit failure reason."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, open_venue

FEE = Decimal("1.006")  # holds cover the worst-case (taker) fee


@pytest.fixture
async def env():
    async with open_venue(driver=False) as venue, aiohttp.ClientSession() as session:
        venue.step()
        yield venue, Rest(venue, session)


async def _edit(rest: Rest, order_id: str, price: str | None, size: str | None) -> dict:
    body = {"order_id": order_id, "price": price, "size": size}
    status, data, _ = await rest.post("/orders/edit", body)
    assert status == 200, data
    return data


def _reason(body: dict) -> str:
    assert body["success"] is False and "success_response" not in body
    error = body["error_response"]
    assert body["errors"] == [
        {
            "edit_failure_reason": error["edit_order_failure_reason"],
            "preview_failure_reason": error["preview_failure_reason"],
        }
    ]
    return error["edit_order_failure_reason"]


async def test_sim1_edit_changes_price_and_size_of_an_open_gtc_limit(env):
    _venue, rest = env
    bid, _ask = await rest.best()
    created = await rest.limit_order("edit-1", "BUY", "0.001", str(bid - 50))
    new_price = bid - Decimal("20.00")
    edited = await _edit(rest, created["order_id"], str(new_price), "0.002")
    assert edited == {
        "success": True,
        "success_response": {"order_id": created["order_id"]},
        "errors": [],
    }
    order = await rest.get_order(created["order_id"])
    assert order["status"] == "OPEN"
    config = order["order_configuration"]["limit_limit_gtc"]
    assert Decimal(config["limit_price"]) == new_price and config["base_size"] == "0.002"
    assert [(Decimal(e["price"]), e["size"]) for e in order["edit_history"]] == [
        (new_price, "0.002")
    ]
    assert Decimal(order["outstanding_hold_amount"]) == new_price * Decimal("0.002") * FEE
    assert (await rest.balance("USD"))[1] == new_price * Decimal("0.002") * FEE
    _, book, _ = await rest.get("/product_book", params={"product_id": "BTC-USD"})
    bids = {Decimal(b["price"]) for b in book["pricebook"]["bids"]}
    assert new_price in bids and bid - 50 not in bids


async def test_sim1_edit_to_a_crossing_price_takes_liquidity(env):
    _venue, rest = env
    bid, ask = await rest.best()
    created = await rest.limit_order("edit-cross", "BUY", "0.001", str(bid - 50))
    edited = await _edit(rest, created["order_id"], str(ask), "0.001")
    assert edited["success"] is True
    order = await rest.get_order(created["order_id"])
    assert order["status"] == "FILLED" and Decimal(order["average_filled_price"]) <= ask


async def test_sim1_edit_refusals_carry_the_real_reasons(env):
    venue, rest = env
    bid, ask = await rest.best()
    passive = await rest.limit_order("edit-2", "BUY", "0.001", str(bid - 50))
    oid = passive["order_id"]
    assert _reason(await _edit(rest, "no-such-order", str(bid), "0.001")) == "ORDER_NOT_FOUND"
    same = await _edit(rest, oid, str(bid - 50), "0.001")
    assert _reason(same) == "EDIT_REQUEST_EQUAL_TO_ORIGINAL_REQUEST"
    assert _reason(await _edit(rest, oid, str(bid), None)) == "INVALID_EDITED_SIZE"
    assert _reason(await _edit(rest, oid, None, "0.001")) == "INVALID_EDITED_PRICE"
    assert _reason(await _edit(rest, oid, "100.001", "0.001")) == "INVALID_EDITED_PRICE"
    big = await _edit(rest, oid, str(bid - 50), "50")
    assert _reason(big) == "UNKNOWN_EDIT_ORDER_FAILURE_REASON"
    assert big["error_response"]["preview_failure_reason"] == "PREVIEW_INSUFFICIENT_FUND"
    post_only = await rest.limit_order("edit-po", "BUY", "0.001", str(bid - 50), post_only=True)
    crossing = await _edit(rest, post_only["order_id"], str(ask), "0.001")
    assert _reason(crossing) == "INVALID_EDITED_PRICE"
    assert crossing["error_response"]["preview_failure_reason"] == (
        "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY"
    )
    market = await rest.market_order("edit-mkt", "BUY", base_size="0.001")
    not_limit = await _edit(rest, market["order_id"], str(bid), "0.001")
    assert _reason(not_limit) == "ONLY_LIMIT_ORDER_EDITS_SUPPORTED"
    end = datetime.fromtimestamp(venue.market_now() + 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    gtd = {"limit_limit_gtd": {"base_size": "0.001", "limit_price": str(bid - 50), "end_time": end}}
    gtd_order = await rest.order("edit-gtd", "BUY", gtd)
    not_gtc = await _edit(rest, gtd_order["order_id"], str(bid - 40), "0.001")
    assert _reason(not_gtc) == "ONLY_LIMIT_ORDER_EDITS_SUPPORTED"
    await rest.post("/orders/batch_cancel", {"order_ids": [oid]})
    closed = await _edit(rest, oid, str(bid - 40), "0.001")
    assert _reason(closed) == "ONLY_OPEN_ORDERS_CAN_BE_EDITED"
    status, body, _ = await rest.post("/orders/edit", {"price": "1", "size": "1"})
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"


async def test_sim1_edit_size_not_below_filled(env):
    _venue, rest = env
    _bid, ask = await rest.best()
    _, book, _ = await rest.get("/product_book", params={"product_id": "BTC-USD", "limit": "1"})
    ask_size = Decimal(book["pricebook"]["asks"][0]["size"])
    size = ask_size + Decimal("0.5")
    partial = await rest.limit_order("edit-partial", "BUY", str(size), str(ask))
    order = await rest.get_order(partial["order_id"])
    assert order["status"] == "OPEN" and Decimal(order["filled_size"]) == ask_size
    below = await _edit(rest, partial["order_id"], str(ask), str(ask_size / 2))
    assert _reason(below) == "CANNOT_EDIT_TO_BELOW_FILLED_SIZE"
    smaller = await _edit(rest, partial["order_id"], str(ask), str(ask_size + Decimal("0.1")))
    assert smaller["success"] is True
    order = await rest.get_order(partial["order_id"])
    assert Decimal(order["outstanding_hold_amount"]) == ask * Decimal("0.1") * FEE


async def test_sim1_edit_preview_prices_the_edited_order_without_changing_it(env):
    _venue, rest = env
    bid, _ask = await rest.best()
    created = await rest.limit_order("edit-preview", "BUY", "0.001", str(bid - 50))
    body = {"order_id": created["order_id"], "price": str(bid - 30), "size": "0.003"}
    status, preview, _ = await rest.post("/orders/edit_preview", body)
    assert status == 200 and preview["errors"] == []
    assert set(preview) == {
        "errors",
        "slippage",
        "order_total",
        "commission_total",
        "quote_size",
        "base_size",
        "best_bid",
        "best_ask",
        "average_filled_price",
    }
    assert preview["base_size"] == "0.003"
    assert Decimal(preview["quote_size"]) == (bid - 30) * Decimal("0.003")
    assert Decimal(preview["order_total"]) > Decimal(preview["quote_size"])
    order = await rest.get_order(created["order_id"])
    assert order["order_configuration"]["limit_limit_gtc"]["base_size"] == "0.001"
    assert order["edit_history"] == []
    body["order_id"] = "nope"
    status, preview, _ = await rest.post("/orders/edit_preview", body)
    assert status == 200
    assert preview["errors"][0]["edit_failure_reason"] == "ORDER_NOT_FOUND"
