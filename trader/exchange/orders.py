"""Order requests (X-1, X-2): a typed request and its Coinbase wire body.

`serialize_order` gives the exact bytes to persist with the intent; a resend after an
unknown outcome must send those same bytes (`Exchange.create_order_raw`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import orjson

from trader.core.types import Side


class OrderKind(StrEnum):
    MARKET_IOC = "market_market_ioc"
    LIMIT_GTC = "limit_limit_gtc"
    LIMIT_GTD = "limit_limit_gtd"
    LIMIT_FOK = "limit_limit_fok"
    SOR_LIMIT_IOC = "sor_limit_ioc"


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One new order. Market orders carry `base_size` or `quote_size`; limit orders carry
    `base_size` and `limit_price` (already quantized with `trader.core.products`)."""

    client_order_id: str
    product_id: str
    side: Side
    kind: OrderKind
    base_size: Decimal | None = None
    quote_size: Decimal | None = None
    limit_price: Decimal | None = None
    post_only: bool = False
    end_time: float | None = None

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem is not None:
            raise ValueError(f"order {self.client_order_id}: {problem}")


def _problem(req: OrderRequest) -> str | None:
    if not req.client_order_id:
        return "client_order_id is required"
    if req.kind is OrderKind.MARKET_IOC:
        if (req.base_size is None) == (req.quote_size is None):
            return "a market order needs exactly one of base_size and quote_size"
        return None
    if req.base_size is None or req.limit_price is None:
        return f"{req.kind} needs base_size and limit_price"
    if req.kind is OrderKind.LIMIT_GTD and req.end_time is None:
        return "limit_limit_gtd needs end_time"
    return None


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
