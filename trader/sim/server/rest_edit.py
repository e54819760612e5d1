"""Edit, edit preview and close position (SIM-1, protocol §2.7; SDK `orders.py` edit_order,
preview_edit_order, close_position).

- `POST /orders/edit` `{order_id, price, size}` → 200 `{"success", "success_response":
  {"order_id"}, "errors":[]}`, or when refused `{"success": false, "error_response":
  {"error", "message", "error_details", "edit_order_failure_reason",
  "preview_failure_reason"}, "errors":[{"edit_failure_reason", "preview_failure_reason"}]}`
  (rules in `trader.matching.edit`). A body without a string `order_id` is a 400.
- `POST /orders/edit_preview` (same body) → `{"errors", "slippage", "order_total",
  "commission_total", "quote_size", "base_size", "best_bid", "best_ask",
  "average_filled_price"}` for the whole order as edited; nothing changes.
- `POST /orders/close_position` `{client_order_id, product_id, size?}` closes a futures
  position; every product of this venue is SPOT (no positions), so it answers 200
  `success: false` in the create-order shape (INVALID_PRODUCT_ID), as the real API
  refuses spot products.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from trader.core.types import Side
from trader.matching.types import EditOutcome, EditPreview
from trader.sim.server.context import API_PREFIX, CTX, VenueContext
from trader.sim.server.encode import dec, parse_decimal
from trader.sim.server.params import json_body
from trader.sim.server.responses import invalid_argument, json_response
from trader.sim.server.rest_orders import failure_body

ZERO = Decimal(0)


def _text(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    raw = body.get(name)
    if raw is None or raw == "":
        if required:
            raise invalid_argument(f"invalid {name} {raw!r} passed to endpoint")
        return None
    if not isinstance(raw, str):
        raise invalid_argument(f"{name} must be a string")
    return raw


def _decimal(body: dict[str, Any], name: str) -> Decimal | None:
    raw = _text(body, name, required=False)
    if raw is None:
        return None
    try:
        return parse_decimal(raw, name)
    except ValueError as exc:
        raise invalid_argument(str(exc)) from exc


async def _edit_request(request: web.Request) -> tuple[str, Decimal | None, Decimal | None]:
    body = await json_body(request)
    order_id = _text(body, "order_id", required=True)
    assert order_id is not None
    return order_id, _decimal(body, "price"), _decimal(body, "size")


def _errors(outcome: EditOutcome) -> list[dict[str, str]]:
    if outcome.success:
        return []
    return [
        {
            "edit_failure_reason": outcome.edit_failure_reason,
            "preview_failure_reason": outcome.preview_failure_reason,
        }
    ]


async def edit_order(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    order_id, price, size = await _edit_request(request)
    outcome = ctx.engine.edit_order(order_id, price, size, ctx.clock.market_now())
    if outcome.success:
        body: dict[str, Any] = {"success": True, "success_response": {"order_id": order_id}}
    else:
        reason = outcome.edit_failure_reason
        body = {
            "success": False,
            "error_response": {
                "error": reason,
                "message": outcome.message,
                "error_details": outcome.message,
                "edit_order_failure_reason": reason,
                "preview_failure_reason": outcome.preview_failure_reason,
            },
        }
    body["errors"] = _errors(outcome)
    return json_response(body)


async def preview_edit(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    order_id, price, size = await _edit_request(request)
    result = ctx.engine.preview_edit(order_id, price, size, ctx.clock.market_now())
    order = ctx.engine.get_order(order_id)
    quote = ctx.engine.quote(order.product_id) if order is not None else None
    body = _preview_totals(ctx, order_id, result)
    body.update(
        errors=_errors(result.outcome),
        best_bid=dec(quote.bid) if quote else "0",
        best_ask=dec(quote.ask) if quote else "0",
        average_filled_price=dec(result.average_filled_price),
    )
    return json_response(body)


def _preview_totals(ctx: VenueContext, order_id: str, result: EditPreview) -> dict[str, Any]:
    """The whole order as edited: what has filled plus the previewed remainder."""
    order, remainder = ctx.engine.get_order(order_id), result.preview
    if order is None or remainder is None:
        zero = "0"
        return dict.fromkeys(
            ("slippage", "order_total", "commission_total", "quote_size", "base_size"), zero
        )
    value = order.filled_value + remainder.quote_size
    commission = order.total_fees + remainder.commission_total
    total = value + commission if order.side is Side.BUY else value - commission
    return {
        "slippage": dec(remainder.slippage),
        "order_total": dec(total),
        "commission_total": dec(commission),
        "quote_size": dec(value),
        "base_size": dec(order.filled_size + remainder.base_size),
    }


async def close_position(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    body = await json_body(request)
    _text(body, "client_order_id", required=False)
    product_id = _text(body, "product_id", required=True)
    size = _decimal(body, "size")
    echo = {"market_market_ioc": {"base_size": dec(size)}} if size is not None else {}
    rules = ctx.engine.product(product_id or "")
    if rules is None:
        message = f"Product {product_id} not supported"
    else:
        message = f"{product_id} is a SPOT product: close_position closes futures positions"
    reason, preview = "INVALID_PRODUCT_ID", "PREVIEW_INVALID_PRODUCT_ID"
    return json_response(failure_body(reason, message, echo, preview=preview))


def add_routes(app: web.Application) -> None:
    p = API_PREFIX
    app.router.add_post(f"{p}/orders/edit", edit_order)
    app.router.add_post(f"{p}/orders/edit_preview", preview_edit)
    app.router.add_post(f"{p}/orders/close_position", close_position)
