"""SIM-1 REST fault injection: latency, 429 (JSON/HTML), 5xx, 401 bursts, timeout after
accept, scoping, counters, and the HTTP control endpoint."""

from __future__ import annotations

import time
from decimal import Decimal

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, open_venue
from trader.sim.server.faults import FaultController, FaultKind


@pytest.fixture
async def env():
    async with (
        open_venue(driver=False, rate_limit_private=None) as venue,
        aiohttp.ClientSession() as session,
    ):
        venue.step()
        yield venue, Rest(venue, session)


def _order_body(cid: str) -> dict:
    return {
        "client_order_id": cid,
        "product_id": "BTC-USD",
        "side": "BUY",
        "order_configuration": {
            "limit_limit_gtc": {"base_size": "0.001", "limit_price": "1000.00"}
        },
    }


async def test_sim1_fault_latency_fixed_and_jitter(env):
    venue, rest = env
    venue.faults.add("latency", latency_ms=200, jitter_ms=50, count=1)
    started = time.monotonic()
    status, _, _ = await rest.get("/accounts")
    assert status == 200 and time.monotonic() - started >= 0.2
    started = time.monotonic()
    await rest.get("/accounts")
    assert time.monotonic() - started < 0.2
    assert venue.faults.counts["latency"] == 1


async def test_sim1_fault_429_json_and_html_with_headers(env):
    venue, rest = env
    venue.faults.add(FaultKind.HTTP_429, count=1)
    venue.faults.add(FaultKind.HTTP_429, count=1, body="html")
    status, body, headers = await rest.get("/accounts")
    assert status == 429 and body["error"] == "RATE_LIMIT_EXCEEDED"
    assert all(
        h in headers for h in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
    )
    status, body, headers = await rest.get("/accounts")
    assert status == 429 and body.lstrip().startswith("<html>")
    assert headers["Content-Type"].startswith("text/html")
    assert (await rest.get("/accounts"))[0] == 200


@pytest.mark.parametrize(
    ("kind", "params", "status"),
    [("http_429", {}, 429), ("http_429", {"body": "html"}, 429), ("http_5xx", {}, 503)],
)
async def test_sim1_fault_429_and_5xx_carry_a_retry_after_when_asked(env, kind, params, status):
    venue, rest = env
    venue.faults.add(kind, count=1, retry_after_s=3, **params)
    venue.faults.add(kind, count=1, **params)
    answered, _, headers = await rest.get("/accounts")
    assert answered == status and headers["Retry-After"] == "3"
    answered, _, headers = await rest.get("/accounts")
    assert answered == status and "Retry-After" not in headers


async def test_sim1_real_rate_limit_429(env):
    _venue, rest = env
    async with open_venue(driver=False, rate_limit_private=5) as limited:
        limited_rest = Rest(limited, rest.session)
        statuses = [(await limited_rest.get("/accounts"))[0] for _ in range(8)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]


async def test_sim1_fault_5xx_and_401_burst_scoped_by_path(env):
    venue, rest = env
    venue.faults.add("http_5xx", status=502, count=1, path_prefix="/api/v3/brokerage/orders")
    venue.faults.add("http_401", count=2, path_prefix="/api/v3/brokerage/accounts")
    assert (await rest.get("/products"))[0] == 200
    status, body, _ = await rest.post("/orders", _order_body("cid-5xx"))
    assert status == 502 and body["error"]
    assert venue.engine.orders() == []
    statuses = [(await rest.get("/accounts"))[0] for _ in range(3)]
    assert statuses == [401, 401, 200]
    assert venue.faults.counts["http_5xx"] == 1 and venue.faults.counts["http_401"] == 2


async def test_sim1_timeout_after_accept_hold_order_in_ledger(env):
    venue, rest = env
    venue.faults.add(
        "timeout_after_accept",
        count=1,
        hold_s=5.0,
        method="POST",
        path_prefix="/api/v3/brokerage/orders",
    )
    with pytest.raises(TimeoutError):
        await rest.post("/orders", _order_body("cid-timeout"), timeout=0.5)
    _, ledger, _ = await rest.get("/_sim/ledger", auth=False)
    assert [o["client_order_id"] for o in ledger["orders"]] == ["cid-timeout"]
    _status, again, _ = await rest.post("/orders", _order_body("cid-timeout"))
    assert again["success"] is True
    assert again["success_response"]["order_id"] == ledger["orders"][0]["order_id"]
    assert len(venue.engine.orders()) == 1


async def test_sim1_timeout_after_accept_drop_connection(env):
    venue, rest = env
    venue.faults.add("timeout_after_accept", count=1, mode="drop")
    with pytest.raises(aiohttp.ClientError):
        await rest.post("/orders", _order_body("cid-drop"))
    assert [o.client_order_id for o in venue.engine.orders()] == ["cid-drop"]
    assert venue.faults.counts["timeout_after_accept"] == 1


async def test_sim1_fault_on_resend_fires_only_for_a_client_id_sent_before(env):
    venue, rest = env
    venue.faults.add("http_429", count=1, method="POST", on_resend=True)
    venue.faults.add("http_4xx", count=1, status=400, error="INVALID_ARGUMENT", on_resend=True)
    first, _, _ = await rest.post("/orders", _order_body("cid-a"))
    other, _, _ = await rest.post("/orders", _order_body("cid-b"))
    assert (first, other) == (200, 200)  # first sends: no fault
    status, body, _ = await rest.post("/orders", _order_body("cid-a"))
    assert status == 429 and body["error"] == "RATE_LIMIT_EXCEEDED"
    status, body, _ = await rest.post("/orders", _order_body("cid-b"))
    assert status == 400 and body["error"] == "INVALID_ARGUMENT"
    status, again, _ = await rest.post("/orders", _order_body("cid-a"))
    assert status == 200 and again["success"] is True
    assert len(venue.engine.orders()) == 2
    assert venue.faults.counts["http_429_on_resend"] == 1
    assert venue.faults.counts["http_4xx_on_resend"] == 1


async def test_sim1_fault_on_resend_counts_a_refused_first_send(env):
    """A first send answered by a 5xx made no order, but its client id was received: the
    next create for it is a resend."""
    venue, rest = env
    venue.faults.add("http_5xx", count=1, method="POST", path_prefix="/api/v3/brokerage/orders")
    venue.faults.add("http_4xx", count=1, status=404, error="NOT_FOUND", on_resend=True)
    assert (await rest.post("/orders", _order_body("cid-c")))[0] == 503
    assert (await rest.post("/orders", _order_body("cid-c")))[0] == 404
    assert venue.engine.orders() == []


async def test_sim1_probability_scope_is_seeded():
    def run() -> list[bool]:
        faults = FaultController(seed=11)
        faults.add("http_5xx", probability=0.5)
        return [bool(faults.rest_faults("GET", "/api/v3/brokerage/x")) for _ in range(40)]

    first, second = run(), run()
    assert first == second and 5 < sum(first) < 35


async def test_sim1_row_edit_sets_one_field_of_a_listings_first_row(env):
    venue, rest = env
    accounts = "/api/v3/brokerage/accounts"
    _, before, _ = await rest.get("/accounts")
    venue.faults.add(
        "row_edit", count=2, path_prefix=accounts, rows="accounts", field="hold.value", value="-5"
    )
    # a rule naming a listing the answer has not changes nothing
    venue.faults.add("row_edit", count=1, path_prefix=accounts, rows="nothing", field="x")
    _, edited, _ = await rest.get("/accounts")
    assert edited["accounts"][0]["hold"]["value"] == "-5"
    assert edited["accounts"][1:] == before["accounts"][1:]
    assert edited["accounts"][0]["uuid"] == before["accounts"][0]["uuid"]
    status, again, _ = await rest.get("/accounts")
    assert status == 200 and again["accounts"][0]["hold"]["value"] == "-5"
    assert (await rest.get("/accounts"))[1] == before
    assert venue.faults.counts["row_edit"] == 3


async def test_sim1_row_drop_range_leaves_out_the_candles_of_a_span(env):
    venue, rest = env
    product = "BTC-USD"
    candles = f"/api/v3/brokerage/market/products/{product}/candles"
    end = int(time.time()) // 60 * 60
    params = {"start": end - 300 * 60, "end": end, "granularity": "ONE_MINUTE"}
    _, whole, _ = await rest.get(f"/market/products/{product}/candles", params=params)
    starts = sorted(int(c["start"]) for c in whole["candles"])
    low, high = starts[10], starts[-10]
    venue.faults.add(
        "row_drop_range", path_prefix=candles, rows="candles", field="start", low=low, high=high
    )
    _, body, _ = await rest.get(f"/market/products/{product}/candles", params=params)
    left = sorted(int(c["start"]) for c in body["candles"])
    assert left == [s for s in starts if not low <= s < high] and len(left) == 20
    assert venue.faults.counts["row_drop_range"] == 1


async def test_sim1_row_drop_leaves_out_every_row_holding_the_value(env):
    venue, rest = env
    fills = "/api/v3/brokerage/orders/historical/fills"
    kept = await rest.market_order("cid-kept", "BUY", base_size="0.001")
    dropped = await rest.market_order("cid-dropped", "BUY", base_size="0.002")
    venue.faults.add(
        "row_drop", path_prefix=fills, rows="fills", field="order_id", value=dropped["order_id"]
    )
    # a rule naming a listing the answer has not changes nothing
    venue.faults.add("row_drop", path_prefix=fills, rows="nothing", field="x", value="y")
    for params in ({}, {"order_ids": dropped["order_id"]}):
        status, body, _ = await rest.get("/orders/historical/fills", params=params)
        assert status == 200 and dropped["order_id"] not in {f["order_id"] for f in body["fills"]}
    _, body, _ = await rest.get("/orders/historical/fills")
    assert {f["order_id"] for f in body["fills"]} == {kept["order_id"]}
    # the order itself still reports its fill: only the fills endpoint leaves it out
    _, order, _ = await rest.get(f"/orders/historical/{dropped['order_id']}")
    assert order["order"]["filled_size"] == "0.002"
    venue.faults.clear()
    _, body, _ = await rest.get("/orders/historical/fills")
    assert {f["order_id"] for f in body["fills"]} == {kept["order_id"], dropped["order_id"]}


@pytest.mark.parametrize(
    ("kind", "params"), [("http_5xx", {}), ("http_429", {}), ("http_4xx", {"status": 404})]
)
async def test_sim1_a_route_rule_faults_that_route_alone(env, kind, params):
    """`route` scopes a rule to one route pattern: the single-order status fails while the
    order list and the fills under the same path prefix answer."""
    venue, rest = env
    created = await rest.market_order("cid-route", "BUY", base_size="0.001")
    route = "/api/v3/brokerage/orders/historical/{order_id}"
    venue.faults.add(kind, route=route, method="GET", **params)
    for _ in range(2):
        status, _, _ = await rest.get(f"/orders/historical/{created['order_id']}")
        assert status >= 400
    assert (await rest.get("/orders/historical/batch"))[0] == 200
    assert (await rest.get("/orders/historical/fills"))[0] == 200
    assert venue.faults.counts[kind] == 2


async def test_sim1_time_skew_moves_the_time_answer_but_not_the_token_check(env):
    """`/time` answered hours off (all of it: seconds, milliseconds, iso) while the venue
    checks tokens on its own clock; `count` bounds it to that many readings."""
    venue, rest = env
    status, rule, _ = await rest.post(
        "/_sim/faults", {"kind": "time_skew", "skew_s": -7200.5, "count": 2}, auth=False
    )
    assert status == 200 and rule["path_prefix"] == "/api/v3/brokerage/time"
    assert (await rest.get("/accounts"))[0] == 200  # neither refused nor counted
    for _ in range(2):
        _, skewed, _ = await rest.get("/time", auth=False)
        assert abs(int(skewed["epochMillis"]) / 1000 - (time.time() - 7200.5)) < 3
        assert abs(int(skewed["epochSeconds"]) - (time.time() - 7200.5)) < 3
        assert skewed["iso"].endswith("Z") and not skewed["iso"].startswith(
            time.strftime("%Y-%m-%dT%H", time.gmtime())
        )
    _, honest, _ = await rest.get("/time", auth=False)
    assert abs(int(honest["epochSeconds"]) - time.time()) < 3
    assert venue.faults.counts["time_skew"] == 2 and venue.ctx.auth_failures == 0


async def test_sim1_fault_validation_errors():
    faults = FaultController()
    for kind, params in (
        ("nope", {}),
        ("http_5xx", {"status": 404}),
        ("http_4xx", {"status": 503}),
        ("http_4xx", {"status": 429}),
        ("http_4xx", {"on_resend": "yes"}),
        ("ws_close", {"code": 1002}),
        ("latency", {"bogus": 1}),
        ("http_429", {"probability": 0}),
        ("http_429", {"retry_after_s": -1}),
        ("http_429", {"retry_after_s": 1.5}),
        ("http_5xx", {"retry_after_s": True}),
        ("clock_offset", {}),
        ("row_edit", {"rows": "fills"}),
        ("row_edit", {"rows": "fills", "field": "size", "value": -1}),
        ("row_edit", {"rows": 3, "field": "size", "value": "-1"}),
        ("row_drop", {"rows": "fills", "value": "x"}),
        ("row_drop", {"rows": "fills", "field": "order_id", "value": 3}),
        ("row_drop_range", {"rows": "candles", "field": "start"}),
        ("row_drop_range", {"rows": "candles", "field": "start", "low": 5, "high": 5}),
        ("row_drop_range", {"rows": "candles", "field": "start", "low": "1", "high": 9}),
        ("row_drop_range", {"rows": "candles", "field": "start", "low": 1, "high": float("inf")}),
        ("row_drop_range", {"rows": "candles", "low": 1, "high": 9}),
        ("time_skew", {"skew_s": "3600"}),
        ("time_skew", {"skew_s": True}),
        ("time_skew", {"skew_s": float("nan")}),
        ("time_skew", {"skew_s": 1e12}),
        ("time_skew", {"skew_s": 60, "path_prefix": "/api/v3/brokerage/accounts"}),
    ):
        with pytest.raises(ValueError):
            faults.add(kind, **params)


async def test_sim1_control_endpoint_faults_clock_flags_shock(env):
    venue, rest = env
    status, rule, _ = await rest.post(
        "/_sim/faults", {"kind": "http_5xx", "status": 503, "count": 1}, auth=False
    )
    assert status == 200 and rule["kind"] == "http_5xx"
    assert (await rest.get("/accounts"))[0] == 503
    status, _, _ = await rest.post("/_sim/faults", {"kind": "nope"}, auth=False)
    assert status == 400
    status, _, _ = await rest.post("/_sim/clock", {"offset_s": 30}, auth=False)
    assert status == 200
    _, now, _ = await rest.get("/time", auth=False)
    assert abs(int(now["epochSeconds"]) - (time.time() + 30)) < 3
    status, _, _ = await rest.post(
        "/_sim/products/BTC-USD/flags", {"trading_disabled": True}, auth=False
    )
    assert status == 200
    _, product, _ = await rest.get("/products/BTC-USD")
    assert product["trading_disabled"] is True
    _, created, _ = await rest.post("/orders", _order_body("cid-disabled"))
    assert created["success"] is False
    assert created["error_response"]["new_order_failure_reason"] == "UNTRADABLE_PRODUCT"
    status, faults, _ = await rest.get("/_sim/faults", auth=False)
    assert faults["counts"] == {"clock_offset": 1, "http_5xx": 1, "product_flags": 1}
    status, _body, _ = await rest.call("DELETE", "/_sim/faults", auth=False)
    assert status == 200 and venue.faults.clock_offset_s == 0


@pytest.mark.parametrize(
    ("flags", "order", "reason"),
    [
        ({"cancel_only": True}, "limit", "ORDER_ENTRY_DISABLED"),
        ({"limit_only": True}, "market", "UNSUPPORTED_ORDER_CONFIGURATION"),
    ],
)
async def test_sim1_product_status_flips(env, flags, order, reason):
    venue, rest = env
    resting = await rest.limit_order("cid-before", "BUY", "0.001", "1000.00")
    venue.faults.set_product_flags("BTC-USD", **flags)
    if order == "limit":
        created = await rest.limit_order("cid-after", "BUY", "0.001", "1000.00")
    else:
        created = await rest.market_order("cid-after", "BUY", base_size="0.001")
    assert created["error_response"]["new_order_failure_reason"] == reason
    _, body, _ = await rest.post("/orders/batch_cancel", {"order_ids": [resting["order_id"]]})
    assert body["results"][0]["success"] is True


async def test_sim1_price_shock_moves_the_market(env):
    venue, rest = env
    bid, ask = await rest.best()
    status, _, _ = await rest.post(
        "/_sim/shock", {"pct": "10", "product_id": "BTC-USD"}, auth=False
    )
    assert status == 200
    venue.step()
    shocked_bid, shocked_ask = await rest.best()
    assert abs(shocked_bid / bid - Decimal("1.1")) < Decimal("0.002")
    assert abs(shocked_ask / ask - Decimal("1.1")) < Decimal("0.002")
    venue.step(venue.market_now() + 30)
    later_bid, _ = await rest.best()
    assert abs(later_bid / bid - 1) > Decimal("0.05")


async def test_sim1_product_rules_change_over_the_control_endpoint(env):
    """The venue changes a product's increments and size limits: `/market/products` shows
    the new rules, orders on the old grid are refused, orders on the new one accepted."""
    _venue, rest = env
    assert (await rest.limit_order("cid-fine", "BUY", "0.001", "1000.00"))["success"] is True
    status, shown, _ = await rest.post(
        "/_sim/products/BTC-USD/rules",
        {"base_increment": "0.01", "quote_increment": "1", "quote_min_size": "5"},
        auth=False,
    )
    assert status == 200, shown
    assert Decimal(shown["base_increment"]) == Decimal("0.01")
    assert Decimal(shown["quote_increment"]) == Decimal("1")
    _, listed, _ = await rest.get("/market/products", auth=False, params={"product_ids": "BTC-USD"})
    assert Decimal(listed["products"][0]["base_increment"]) == Decimal("0.01")
    assert Decimal(listed["products"][0]["quote_min_size"]) == Decimal("5")
    off_size = await rest.limit_order("cid-size", "BUY", "0.015", "1000")
    assert off_size["error_response"]["new_order_failure_reason"] == "INVALID_SIZE_PRECISION"
    off_price = await rest.limit_order("cid-price", "BUY", "0.01", "1000.50")
    assert off_price["error_response"]["new_order_failure_reason"] == "INVALID_PRICE_PRECISION"
    assert (await rest.limit_order("cid-new", "BUY", "0.02", "1000"))["success"] is True
    _, faults, _ = await rest.get("/_sim/faults", auth=False)
    assert faults["counts"]["product_rules"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"base_increment": "0"},
        {"base_increment": "-1"},
        {"base_increment": "NaN"},
        {"base_increment": "Infinity"},
        {"base_increment": "abc"},
        {"base_increment": 1},
        {"status": "offline"},
        {"bogus": "1"},
    ],
)
async def test_sim1_product_rules_refuses_what_is_not_a_positive_decimal_rule(env, body):
    venue, rest = env
    before = venue.engine.product("BTC-USD")
    status, answer, _ = await rest.post("/_sim/products/BTC-USD/rules", body, auth=False)
    assert status == 400 and answer["error"] == "INVALID_ARGUMENT", answer
    assert venue.engine.product("BTC-USD") == before
    status, answer, _ = await rest.post(
        "/_sim/products/NOPE-USD/rules", {"base_increment": "1"}, auth=False
    )
    assert status == 400 and "unknown product" in answer["message"]
