"""Coinbase create-order bodies (X-1, X-2): `OrderRequest` on the wire.

`serialize_order` gives the exact bytes to persist with the intent; a resend after an
unknown outcome must send those same bytes (`Exchange.create_order_raw`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from trader.core.orders import OrderKind, OrderRequest


def wire_decimal(value: Decimal) -> str:
    """Plain decimal notation, never an exponent (the venue rejects `1E-8`)."""
    return format(value, "f")


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def order_configuration(req: OrderRequest) -> dict[str, Any]:
    """The single-key `order_configuration` object of the create/preview body."""
    fields: dict[str, Any] = {}
    if req.base_size is not None:
        fields["base_size"] = wire_decimal(req.base_size)
    if req.quote_size is not None and req.kind is OrderKind.MARKET_IOC:
        fields["quote_size"] = wire_decimal(req.quote_size)
    if req.limit_price is not None:
        fields["limit_price"] = wire_decimal(req.limit_price)
    if req.kind in (OrderKind.LIMIT_GTC, OrderKind.LIMIT_GTD):
        fields["post_only"] = req.post_only
    if req.kind is OrderKind.LIMIT_GTD and req.end_time is not None:
        fields["end_time"] = _rfc3339(req.end_time)
    return {str(req.kind): fields}


def order_body(req: OrderRequest, *, with_client_id: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if with_client_id:
        body["client_order_id"] = req.client_order_id
    body["product_id"] = req.product_id
    body["side"] = str(req.side)
    body["order_configuration"] = order_configuration(req)
    return body


def serialize_order(req: OrderRequest) -> bytes:
    """Deterministic create-order body bytes (same request → same bytes)."""
    return orjson.dumps(order_body(req))
