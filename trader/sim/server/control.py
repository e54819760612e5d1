"""Control and audit endpoints under `/_sim/` (SIM-1). No auth: the venue is loopback-only.

- `GET /_sim/faults` rules, counts and state; `POST /_sim/faults` add a rule
  (`{"kind": "http_429", "count": 3, "path_prefix": "/api/v3/brokerage/orders", ...}`);
  `DELETE /_sim/faults` clear all; `DELETE /_sim/faults/{id}` remove one.
- `POST /_sim/clock` `{"offset_s": 2.5}`: the venue's clock (its `/time` and its token
  checks alike) off by that much, as a client's own clock being off looks; a `/time` answer
  off while the token checks keep the venue's clock is the fault `{"kind": "time_skew",
  "skew_s": 7200}` (`count: 1`: one reading); `POST /_sim/shock` `{"pct": "-10", "product_id": ..}`;
  `POST /_sim/products/{id}/flags` `{"trading_disabled": true}`;
  `POST /_sim/products/{id}/rules` `{"base_increment": "1", "quote_min_size": "5"}`
  (increments and size limits as decimal strings);
  `POST /_sim/products/{id}/listing` `{"listed": false}`: delisted (gone from `products`,
  404 on its own routes, orders refused `INVALID_PRODUCT_ID`, its WS channels silent, its
  working orders cancelled), `{"listed": true}`: listed again; `POST /_sim/ws/close`
  `{"code": 1006}`; `POST /_sim/keys` `{"name": .., "public_key": "<PEM>"}`.
- `GET /_sim/ledger` every accepted order; `GET /_sim/balances`; `GET /_sim/fills`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from trader.sim.server.context import CTX
from trader.sim.server.encode import dec, rfc3339
from trader.sim.server.encode_market import product_json
from trader.sim.server.encode_orders import fill_json
from trader.sim.server.faults import FaultController
from trader.sim.server.params import json_body
from trader.sim.server.responses import ApiError, json_response

PREFIX = "/_sim"


def _bad(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


async def _body(request: web.Request) -> dict[str, Any]:
    return await json_body(request)


async def get_faults(request: web.Request) -> web.Response:
    return json_response(request.app[CTX].faults.snapshot())


async def add_fault(request: web.Request) -> web.Response:
    body = await _body(request)
    kind = body.pop("kind", None)
    if not isinstance(kind, str):
        raise _bad("kind is required")
    try:
        rule = request.app[CTX].faults.add(kind, **body)
    except (TypeError, ValueError) as exc:
        raise _bad(str(exc)) from exc
    return json_response(rule.to_json())


async def clear_faults(request: web.Request) -> web.Response:
    request.app[CTX].faults.clear()
    return json_response({"cleared": True})


async def remove_fault(request: web.Request) -> web.Response:
    raw = request.match_info["rule_id"]
    if not raw.isdigit():
        raise _bad("rule id must be an integer")
    removed = request.app[CTX].faults.remove(int(raw))
    return json_response({"removed": removed}, status=200 if removed else 404)


async def set_clock(request: web.Request) -> web.Response:
    body = await _body(request)
    offset = body.get("offset_s")
    if not isinstance(offset, int | float) or isinstance(offset, bool):
        raise _bad("offset_s must be a number of seconds")
    request.app[CTX].faults.set_clock_offset(float(offset))
    return json_response({"offset_s": float(offset)})


async def price_shock(request: web.Request) -> web.Response:
    body = await _body(request)
    product_id = body.get("product_id")
    if product_id is not None and request.app[CTX].engine.product(product_id) is None:
        raise _bad(f"unknown product {product_id}")
    try:
        request.app[CTX].faults.price_shock(str(body.get("pct", "")), product_id)
    except (ArithmeticError, ValueError) as exc:
        raise _bad(f"pct must be a decimal percentage: {exc}") from exc
    return json_response(request.app[CTX].faults.snapshot())


async def product_flags(request: web.Request) -> web.Response:
    """The product's status flags changed (cancel_only, post_only, ...)."""
    return await _change_product(request, FaultController.set_product_flags)


async def product_rules(request: web.Request) -> web.Response:
    """The product's increments and size limits changed."""
    return await _change_product(request, FaultController.set_product_rules)


async def _change_product(request: web.Request, change: Callable[..., None]) -> web.Response:
    """`change` (a `FaultController` method) with the body's fields; the product as listed
    after."""
    ctx = request.app[CTX]
    product_id = request.match_info["product_id"]
    if ctx.engine.product(product_id) is None:
        raise _bad(f"unknown product {product_id}")
    body = await _body(request)
    try:
        change(ctx.faults, product_id, **body)
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    rules = ctx.engine.product(product_id)
    if rules is None:
        raise _bad(f"product {product_id} vanished")
    return json_response(product_json(ctx, rules))


async def product_listing(request: web.Request) -> web.Response:
    """The product delisted or listed again: `{"product_id", "listed", "cancelled"}` (the
    ids of the own orders a delisting cancelled)."""
    ctx = request.app[CTX]
    product_id = request.match_info["product_id"]
    listed = (await _body(request)).get("listed")
    if not isinstance(listed, bool):
        raise _bad("listed must be true or false")
    try:
        cancelled = ctx.engine.set_listed(product_id, listed)
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    return json_response({"product_id": product_id, "listed": listed, "cancelled": cancelled})


async def close_ws(request: web.Request) -> web.Response:
    body = await _body(request)
    code = body.get("code", 1000)
    if not isinstance(code, int):
        raise _bad("code must be an integer")
    try:
        closed = request.app[CTX].faults.close_websockets(code)
    except ValueError as exc:
        raise _bad(str(exc)) from exc
    return json_response({"closed": closed})


async def register_key(request: web.Request) -> web.Response:
    body = await _body(request)
    name, key = body.get("name"), body.get("public_key")
    if not isinstance(name, str) or not isinstance(key, str):
        raise _bad("name and public_key (PEM) are required strings")
    try:
        request.app[CTX].verifier.keys.register(name, key)
    except ValueError as exc:
        raise _bad(f"cannot load key: {exc}") from exc
    return json_response({"registered": name})


async def ledger(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    rows = [
        {
            "order_id": o.order_id,
            "client_order_id": o.client_order_id,
            "product_id": o.product_id,
            "side": str(o.side),
            "status": str(o.status),
            "filled_size": dec(o.filled_size),
            "filled_value": dec(o.filled_value),
            "total_fees": dec(o.total_fees),
            "created_time": rfc3339(o.created_time),
            "order_configuration": o.configuration,
        }
        for o in ctx.engine.orders()
    ]
    return json_response({"orders": rows})


async def balances(request: web.Request) -> web.Response:
    rows = [
        {"currency": b.currency, "available": dec(b.available), "hold": dec(b.hold)}
        for b in sorted(request.app[CTX].engine.balances(), key=lambda b: b.currency)
    ]
    return json_response({"balances": rows})


async def fills(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    rows = [fill_json(f, ctx.user_id, ctx.portfolio_id) for f in ctx.engine.fills()]
    return json_response({"fills": rows})


def _with_errors(handler: Any) -> Any:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except ApiError as exc:
            return exc.response()
        return response

    return wrapped


def add_routes(app: web.Application) -> None:
    routes = [
        ("GET", "/faults", get_faults),
        ("POST", "/faults", add_fault),
        ("DELETE", "/faults", clear_faults),
        ("DELETE", "/faults/{rule_id}", remove_fault),
        ("POST", "/clock", set_clock),
        ("POST", "/shock", price_shock),
        ("POST", "/products/{product_id}/flags", product_flags),
        ("POST", "/products/{product_id}/rules", product_rules),
        ("POST", "/products/{product_id}/listing", product_listing),
        ("POST", "/ws/close", close_ws),
        ("POST", "/keys", register_key),
        ("GET", "/ledger", ledger),
        ("GET", "/balances", balances),
        ("GET", "/fills", fills),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, PREFIX + path, _with_errors(handler))
