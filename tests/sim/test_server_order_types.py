"""SIM-1 order types beyond limit/market/IOC, over HTTP against a running venue:
limit FOK (all at once or cancelled), stop-limit (waits off the book, becomes a limit when
the last trade reaches its stop in its direction) and trigger bracket (a resting take-profit
limit whose stop-loss trigger replaces it with a stop limit 5% beyond the trigger)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, open_venue

TICK = Decimal("0.01")


def grid(value: Decimal) -> str:
    return str(value.quantize(TICK, rounding=ROUND_DOWN))


@pytest.fixture
async def env():
    balances = {"USD": Decimal("100000"), "BTC": Decimal("1")}
    async with (
        open_venue(driver=False, trades_per_minute=600, balances=balances) as venue,
        aiohttp.ClientSession() as session,
    ):
        venue.step()
        yield venue, Rest(venue, session)


async def _top(rest: Rest) -> tuple[Decimal, Decimal]:
    _, body, _ = await rest.get("/product_book", params={"product_id": "BTC-USD", "limit": "1"})
    ask = body["pricebook"]["asks"][0]
    return Decimal(ask["price"]), Decimal(ask["size"])


async def _shock_and_trade(venue, rest: Rest, pct: str) -> None:
    status, _, _ = await rest.post("/_sim/shock", {"pct": pct, "product_id": "BTC-USD"}, auth=False)
    assert status == 200
    venue.step(venue.market_now() + 30)  # trades print at the shocked price


async def test_sim1_limit_fok_fills_all_at_once_or_is_cancelled(env):
    _venue, rest = env
    ask, ask_size = await _top(rest)
    usd_before = await rest.balance("USD")
    too_big = {"limit_limit_fok": {"base_size": str(ask_size + 1), "limit_price": str(ask)}}
    killed = await rest.order("fok-1", "BUY", too_big)
    assert killed["success"] is True
    order = await rest.get_order(killed["order_id"])
    assert order["status"] == "CANCELLED" and order["filled_size"] == "0"
    assert order["time_in_force"] == "FILL_OR_KILL" and order["order_type"] == "LIMIT"
    assert await rest.balance("USD") == usd_before
    fits = {"limit_limit_fok": {"base_size": str(ask_size), "limit_price": str(ask)}}
    filled = await rest.get_order((await rest.order("fok-2", "BUY", fits))["order_id"])
    assert filled["status"] == "FILLED" and Decimal(filled["filled_size"]) == ask_size
    post_only = {
        "limit_limit_fok": {"base_size": "0.001", "limit_price": str(ask), "post_only": True}
    }
    refused = await rest.order("fok-3", "BUY", post_only)
    reason = refused["error_response"]["new_order_failure_reason"]
    assert refused["success"] is False and reason == "POST_ONLY_NOT_ALLOWED_WITH_FOK"


async def test_sim1_stop_limit_waits_then_becomes_a_limit_on_its_stop(env):
    venue, rest = env
    last = await rest.last_price()
    stop = {
        "stop_limit_stop_limit_gtc": {
            "base_size": "0.01",
            "limit_price": grid(last * Decimal("0.85")),
            "stop_price": grid(last * Decimal("0.95")),
            "stop_direction": "STOP_DIRECTION_STOP_DOWN",
        }
    }
    created = await rest.order("stop-1", "SELL", stop)
    assert created["success"] is True, created
    order = await rest.get_order(created["order_id"])
    assert order["status"] == "OPEN" and order["order_type"] == "STOP_LIMIT"
    assert order["trigger_status"] == "STOP_PENDING" and order["filled_size"] == "0"
    assert await rest.balance("BTC") == (Decimal("0.99"), Decimal("0.01"))
    far = dict(
        stop["stop_limit_stop_limit_gtc"], stop_price=grid(last / 2), limit_price=grid(last / 3)
    )
    parked = await rest.order("stop-2", "SELL", {"stop_limit_stop_limit_gtc": far})
    venue.step(venue.market_now() + 20)  # prints near `last`: nothing triggers
    assert (await rest.get_order(created["order_id"]))["trigger_status"] == "STOP_PENDING"
    await _shock_and_trade(venue, rest, "-6")
    order = await rest.get_order(created["order_id"])
    assert order["trigger_status"] == "STOP_TRIGGERED" and order["status"] == "FILLED"
    assert Decimal(order["average_filled_price"]) >= Decimal(grid(last * Decimal("0.85")))
    still = await rest.get_order(parked["order_id"])
    assert still["status"] == "OPEN" and still["trigger_status"] == "STOP_PENDING"
    status, _, _ = await rest.post("/orders/batch_cancel", {"order_ids": [parked["order_id"]]})
    assert status == 200
    assert (await rest.get_order(parked["order_id"]))["status"] == "CANCELLED"
    assert await rest.balance("BTC") == (Decimal("0.99"), Decimal("0"))


async def test_sim1_stop_limit_rules(env):
    _venue, rest = env
    last = await rest.last_price()

    async def refused(side: str, **fields: str) -> dict:
        config = {"base_size": "0.01", "stop_direction": "STOP_DIRECTION_STOP_UP", **fields}
        body = await rest.order(
            f"bad-{len(fields)}-{side}-{fields}", side, {"stop_limit_stop_limit_gtc": config}
        )
        assert body["success"] is False, body
        return body["error_response"]

    up_below = await refused("BUY", stop_price=grid(last * Decimal("0.9")), limit_price=grid(last))
    assert up_below["preview_failure_reason"] == "PREVIEW_STOP_PRICE_BELOW_LAST_TRADE_PRICE"
    limit_low = await refused("BUY", stop_price=grid(last * Decimal("1.1")), limit_price=grid(last))
    assert limit_low["preview_failure_reason"] == "PREVIEW_STOP_PRICE_ABOVE_LIMIT_PRICE"
    no_direction = await refused(
        "BUY", stop_price=grid(last * 2), limit_price=grid(last * 2), stop_direction=""
    )
    assert no_direction["new_order_failure_reason"] == "UNSUPPORTED_ORDER_CONFIGURATION"


async def test_sim1_trigger_bracket_take_profit_rests_and_stop_loss_fires(env):
    venue, rest = env
    last = await rest.last_price()
    take_profit, trigger = grid(last * Decimal("1.2")), grid(last * Decimal("0.95"))
    config = {
        "trigger_bracket_gtc": {
            "base_size": "0.01",
            "limit_price": take_profit,
            "stop_trigger_price": trigger,
        }
    }
    created = await rest.order("bracket-1", "SELL", config)
    assert created["success"] is True, created
    order = await rest.get_order(created["order_id"])
    assert order["order_type"] == "BRACKET" and order["trigger_status"] == "STOP_PENDING"
    assert order["time_in_force"] == "GOOD_UNTIL_CANCELLED" and order["status"] == "OPEN"
    _, book, _ = await rest.get("/product_book", params={"product_id": "BTC-USD"})
    asks = {Decimal(a["price"]): Decimal(a["size"]) for a in book["pricebook"]["asks"]}
    assert asks.get(Decimal(take_profit)) == Decimal("0.01")  # the take-profit leg rests
    await _shock_and_trade(venue, rest, "-6")
    order = await rest.get_order(created["order_id"])
    assert order["trigger_status"] == "STOP_TRIGGERED" and order["status"] == "FILLED"
    floor = Decimal(trigger) * Decimal("0.95")
    assert floor <= Decimal(order["average_filled_price"]) <= Decimal(trigger)
    _, book, _ = await rest.get("/product_book", params={"product_id": "BTC-USD"})
    assert Decimal(take_profit) not in {Decimal(a["price"]) for a in book["pricebook"]["asks"]}
    wrong = {
        "trigger_bracket_gtc": dict(
            config["trigger_bracket_gtc"], stop_trigger_price=grid(last * 2)
        )
    }
    refused = await rest.order("bracket-2", "SELL", wrong)
    assert refused["success"] is False
    assert refused["error_response"]["preview_failure_reason"] == "PREVIEW_INVALID_STOP_PRICE"
