"""Order REST endpoints (SIM-1, coinbase-protocol.md §2.5–2.9, §3).

Create (always 200, `success` true/false, duplicate `client_order_id` returns the original),
preview, batch cancel (≤ 100 ids), get one, list (filters + cursor) and fills.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from trader.matching.types import CreateOutcome, SimFill, SimOrder
from trader.sim.server.context import API_PREFIX, CTX, VenueContext
from trader.sim.server.encode import dec
from trader.sim.server.encode_orders import fill_json, order_json
from trader.sim.server.order_filters import select_orders
from trader.sim.server.order_parse import OrderRejected, parse_new_order
from trader.sim.server.params import (
    json_body,
    query_cursor,
    query_int,
    query_list,
    query_time,
)
from trader.sim.server.responses import invalid_argument, json_response, not_found

MAX_CANCEL_IDS = 100
UNKNOWN_FAILURE = "UNKNOWN_FAILURE_REASON"
UNKNOWN_PREVIEW = "UNKNOWN_PREVIEW_FAILURE_REASON"


def success_body(order: SimOrder) -> dict[str, Any]:
    return {
        "success": True,
        "failure_reason": UNKNOWN_FAILURE,
        "order_id": order.order_id,
        "success_response": {
            "order_id": order.order_id,
            "product_id": order.product_id,
            "side": str(order.side),
            "client_order_id": order.client_order_id,
        },
        "order_configuration": order.configuration,
    }


def failure_body(
    reason: str, message: str, echo: object, preview: str = UNKNOWN_PREVIEW, error: str = ""
) -> dict[str, Any]:
    return {
        "success": False,
        "failure_reason": reason,
        "order_id": "",
        "error_response": {
            "error": error or reason,
            "message": message,
            "error_details": "",
            "preview_failure_reason": preview,
            "new_order_failure_reason": reason,
        },
        "order_configuration": echo,
    }


async def create_order(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    body = await json_body(request)
    echo = body.get("order_configuration")
    try:
        new_order = parse_new_order(body)
    except OrderRejected as exc:
        return json_response(failure_body(exc.failure_reason, exc.message, echo))
    outcome = ctx.engine.create_order(new_order, ctx.clock.market_now())
    return json_response(_outcome_body(outcome, echo))


def _outcome_body(outcome: CreateOutcome, echo: object) -> dict[str, Any]:
    """A known `client_order_id` comes back from the engine as the original order."""
    if outcome.success and outcome.order is not None:
        return success_body(outcome.order)
    return failure_body(
        outcome.failure_reason,
        outcome.message,
        echo,
        preview=outcome.preview_failure_reason,
        error=outcome.error,
    )


async def preview_order(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    body = await json_body(request)
    try:
        new_order = parse_new_order(body, need_client_id=False)
    except OrderRejected as exc:
        return json_response(_preview_body(None, [exc.failure_reason]))
    preview = ctx.engine.preview_order(new_order, ctx.clock.market_now())
    return json_response(_preview_body(preview, list(preview.errs)))


def _preview_body(preview: Any, errs: list[str]) -> dict[str, Any]:
    zero = "0"
    return {
        "order_total": dec(preview.order_total) if preview else zero,
        "commission_total": dec(preview.commission_total) if preview else zero,
        "errs": errs,
        "warning": [],
        "quote_size": dec(preview.quote_size) if preview else zero,
        "base_size": dec(preview.base_size) if preview else zero,
        "best_bid": dec(preview.best_bid) if preview else zero,
        "best_ask": dec(preview.best_ask) if preview else zero,
        "is_max": False,
        "slippage": dec(preview.slippage) if preview else zero,
        "preview_id": str(uuid.uuid4()),
        "leverage": "1",
        "long_leverage": "1",
        "short_leverage": "1",
    }


async def batch_cancel(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    body = await json_body(request)
    order_ids = body.get("order_ids")
    if not isinstance(order_ids, list) or not all(isinstance(i, str) for i in order_ids):
        raise invalid_argument("order_ids must be a list of strings")
    if not order_ids or len(order_ids) > MAX_CANCEL_IDS:
        raise invalid_argument(f"order_ids must hold 1 to {MAX_CANCEL_IDS} ids")
    outcomes = ctx.engine.cancel_orders(order_ids, ctx.clock.market_now())
    results = [
        {"success": o.success, "failure_reason": o.failure_reason, "order_id": o.order_id}
        for o in outcomes
    ]
    return json_response({"results": results})


async def get_order(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    order_id = request.match_info["order_id"]
    order = ctx.engine.get_order(order_id)
    if order is None:
        raise not_found(f"order {order_id} not found")
    return json_response({"order": order_json(order, ctx.user_id, ctx.portfolio_id)})


async def list_orders(request: web.Request) -> web.Response:
    """Filters and sorting as the real API (`order_filters.py`); the cursor is an offset."""
    ctx = request.app[CTX]
    limit = query_int(request, "limit", 100, low=1, high=1000) or 100
    offset = query_cursor(request)
    selected = select_orders(request, ctx)
    page = selected[offset : offset + limit]
    has_next = offset + limit < len(selected)
    return json_response(
        {
            "orders": [order_json(o, ctx.user_id, ctx.portfolio_id) for o in page],
            "sequence": "0",
            "has_next": has_next,
            "cursor": str(offset + limit) if has_next else "",
            "proof_token_required": False,
        }
    )


def _in_range(ts: float, start: float | None, end: float | None) -> bool:
    return (start is None or ts >= start) and (end is None or ts <= end)


async def list_fills(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    limit = query_int(request, "limit", 100, low=1, high=1000) or 100
    offset = query_cursor(request)
    selected = _filter_fills(ctx, request)
    page = selected[offset : offset + limit]
    has_next = offset + limit < len(selected)
    return json_response(
        {
            "fills": [fill_json(f, ctx.user_id, ctx.portfolio_id) for f in page],
            "cursor": str(offset + limit) if has_next else "",
        }
    )


def _filter_fills(ctx: VenueContext, request: web.Request) -> list[SimFill]:
    order_ids = set(query_list(request, "order_ids") + query_list(request, "order_id"))
    trade_ids = set(query_list(request, "trade_ids"))
    products = set(query_list(request, "product_ids") + query_list(request, "product_id"))
    start = query_time(request, "start_sequence_timestamp")
    end = query_time(request, "end_sequence_timestamp")
    out = []
    for fill in reversed(ctx.engine.fills()):
        if (order_ids and fill.order_id not in order_ids) or (
            trade_ids and fill.trade_id not in trade_ids
        ):
            continue
        if products and fill.product_id not in products:
            continue
        if _in_range(fill.trade_time, start, end):
            out.append(fill)
    return out


def add_routes(app: web.Application) -> None:
    p = API_PREFIX
    app.router.add_post(f"{p}/orders", create_order)
    app.router.add_post(f"{p}/orders/preview", preview_order)
    app.router.add_post(f"{p}/orders/batch_cancel", batch_cancel)
    app.router.add_get(f"{p}/orders/historical/batch", list_orders)
    app.router.add_get(f"{p}/orders/historical/fills", list_fills)
    app.router.add_get(f"{p}/orders/historical/{{order_id}}", get_order)
