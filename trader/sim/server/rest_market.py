"""Market-data REST endpoints and their public `market/` mirrors (SIM-1, protocol §2.2–2.4).

`/time`, `products`, `products/{id}`, `products/{id}/candles`, `products/{id}/ticker`,
`best_bid_ask` and `product_book`. Every number is a string except where Coinbase sends ints.
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from trader.core.types import ProductRules
from trader.sim.server.context import API_PREFIX, CTX, VenueContext
from trader.sim.server.encode import candle_json, dec, time_json
from trader.sim.server.encode_market import (
    pricebook_json,
    product_json,
    product_price,
    spread_fields,
    trade_json,
)
from trader.sim.server.params import query_bool, query_epoch, query_int, query_list
from trader.sim.server.responses import ApiError, invalid_argument, json_response, not_found

GRANULARITIES = {
    "ONE_MINUTE": 60,
    "FIVE_MINUTE": 300,
    "FIFTEEN_MINUTE": 900,
    "THIRTY_MINUTE": 1800,
    "ONE_HOUR": 3600,
    "TWO_HOUR": 7200,
    "FOUR_HOUR": 14400,
    "SIX_HOUR": 21600,
    "ONE_DAY": 86400,
}
MAX_CANDLES = 350
MAX_TICKER_TRADES = 100
MAX_BOOK_LEVELS = 1000


def _rules(ctx: VenueContext, product_id: str) -> ProductRules:
    rules = ctx.engine.product(product_id)
    if rules is None:
        raise not_found(f"Product {product_id} not supported")
    return rules


async def server_time(request: web.Request) -> web.Response:
    return json_response(time_json(request.app[CTX].clock.now()))


async def list_products(request: web.Request) -> web.Response:
    """`{"products", "num_products", "pagination"}`: `product_ids` (repeated) and
    `product_type` filter, `offset`/`limit` page; `num_products` counts every match, and
    `pagination` says whether pages come before or after (its cursors are offsets)."""
    ctx = request.app[CTX]
    wanted = set(query_list(request, "product_ids"))
    product_type = request.query.get("product_type", "")
    if product_type not in ("", "SPOT", "FUTURE", "UNKNOWN_PRODUCT_TYPE"):
        raise invalid_argument(f"product_type {product_type!r} is invalid")
    tradability = query_bool(request, "get_tradability_status", False)
    query_bool(request, "get_all_products", False)
    limit = query_int(request, "limit", None, low=0)
    offset = query_int(request, "offset", 0, low=0) or 0
    products = ctx.engine.products()
    if wanted:
        products = [p for p in products if p.product_id in wanted]
    if product_type == "FUTURE":
        products = []
    total = len(products)
    end = total if not limit else offset + limit
    body = [product_json(ctx, rules, tradability) for rules in products[offset:end]]
    return json_response(
        {"products": body, "num_products": total, "pagination": _pagination(offset, limit, total)}
    )


def _pagination(offset: int, limit: int | None, total: int) -> dict[str, Any]:
    """Offsets as cursors: `next_cursor` starts the next page, `prev_cursor` the previous."""
    end = total if not limit else min(total, offset + limit)
    has_next, has_prev = end < total, offset > 0
    previous = max(0, offset - limit) if limit else 0
    return {
        "prev_cursor": str(previous) if has_prev else "",
        "next_cursor": str(end) if has_next else "",
        "has_next": has_next,
        "has_prev": has_prev,
    }


async def get_product(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    rules = _rules(ctx, request.match_info["product_id"])
    tradability = query_bool(request, "get_tradability_status", False)
    return json_response(product_json(ctx, rules, tradability))


async def get_candles(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    rules = _rules(ctx, request.match_info["product_id"])
    granularity = _granularity(request.query.get("granularity", ""))
    start, end = query_epoch(request, "start"), query_epoch(request, "end")
    if start is None or end is None:
        raise invalid_argument("start and end are required (UNIX seconds)")
    if end < start:
        raise invalid_argument("start and end argument is invalid - end is before start")
    if math.ceil((end - start) / granularity) > MAX_CANDLES:
        raise ApiError(
            400,
            "INVALID_ARGUMENT",
            "start and end argument is invalid - number of candles requested should be "
            "less than 350",
        )
    limit = query_int(request, "limit", MAX_CANDLES, low=1, high=MAX_CANDLES) or MAX_CANDLES
    now = ctx.clock.market_now()
    candles = ctx.history.candles(rules.product_id, granularity, start, end, now)[:limit]
    return json_response({"candles": [candle_json(c) for c in candles]})


def _granularity(raw: str) -> int:
    if raw not in GRANULARITIES:
        raise invalid_argument(f"granularity {raw!r} is invalid; one of {', '.join(GRANULARITIES)}")
    return GRANULARITIES[raw]


async def get_ticker(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    rules = _rules(ctx, request.match_info["product_id"])
    limit = query_int(request, "limit", None, low=1, high=MAX_TICKER_TRADES)
    if limit is None:
        raise invalid_argument("limit is required")
    start, end = query_epoch(request, "start"), query_epoch(request, "end")
    trades = ctx.market.trades(rules.product_id, limit, start, end)
    quote = ctx.engine.quote(rules.product_id)
    return json_response(
        {
            "trades": [trade_json(t) for t in trades],
            "best_bid": dec(quote.bid) if quote else "",
            "best_ask": dec(quote.ask) if quote else "",
        }
    )


async def best_bid_ask(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    wanted = query_list(request, "product_ids") or [p.product_id for p in ctx.engine.products()]
    now = ctx.clock.now()
    books = []
    for product_id in wanted:
        _rules(ctx, product_id)
        bids, asks = ctx.engine.book(product_id, 1)
        books.append(pricebook_json(product_id, bids, asks, now))
    return json_response({"pricebooks": books})


async def product_book(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    product_id = request.query.get("product_id", "")
    if not product_id:
        raise invalid_argument("product_id is required")
    rules = _rules(ctx, product_id)
    limit = query_int(request, "limit", MAX_BOOK_LEVELS, low=1) or MAX_BOOK_LEVELS
    bids, asks = ctx.engine.book(rules.product_id, min(limit, MAX_BOOK_LEVELS))
    body: dict[str, Any] = {
        "pricebook": pricebook_json(rules.product_id, bids, asks, ctx.clock.now()),
        "last": dec(product_price(ctx, rules.product_id)),
    }
    body.update(spread_fields(ctx.engine.quote(rules.product_id)))
    return json_response(body)


def add_routes(app: web.Application) -> None:
    p = API_PREFIX
    app.router.add_get(f"{p}/time", server_time)
    for base in (f"{p}", f"{p}/market"):
        app.router.add_get(f"{base}/products", list_products)
        app.router.add_get(f"{base}/products/{{product_id}}", get_product)
        app.router.add_get(f"{base}/products/{{product_id}}/candles", get_candles)
        app.router.add_get(f"{base}/products/{{product_id}}/ticker", get_ticker)
        app.router.add_get(f"{base}/product_book", product_book)
    app.router.add_get(f"{p}/best_bid_ask", best_bid_ask)
