"""The venue-neutral order model (X-1, X-2): order kinds, a typed request, its byte form,
an order's status at a venue, why a venue refuses.

`OrderKind` is the one list of order kinds the daemon, the matching engine and the
simulated venue share. Its values are the Coinbase `order_configuration` keys; they are
persisted with every intent, so they never change. A venue adapter turns `OrderRequest`
into its own wire body (`trader.exchange.coinbase.orders`); `encode_request` and
`decode_request` are the neutral byte form a locally matched venue persists and resends.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
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
    STOP_LIMIT_GTC = "stop_limit_stop_limit_gtc"
    STOP_LIMIT_GTD = "stop_limit_stop_limit_gtd"
    BRACKET_GTC = "trigger_bracket_gtc"
    BRACKET_GTD = "trigger_bracket_gtd"


class TimeInForce(StrEnum):
    GOOD_UNTIL_CANCELLED = "GOOD_UNTIL_CANCELLED"
    GOOD_UNTIL_DATE_TIME = "GOOD_UNTIL_DATE_TIME"
    IMMEDIATE_OR_CANCEL = "IMMEDIATE_OR_CANCEL"
    FILL_OR_KILL = "FILL_OR_KILL"


class OrderStatus(StrEnum):
    """An order's status at a venue, venue-neutral (each adapter maps its venue's)."""

    PENDING = "PENDING"
    OPEN = "OPEN"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"
    QUEUED = "QUEUED"
    CANCEL_QUEUED = "CANCEL_QUEUED"
    UNKNOWN = "UNKNOWN"


TERMINAL_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.FAILED}
)


class RejectCause(StrEnum):
    """Why a venue refused an order request or a cancel, in the daemon's own words; each
    adapter maps its venue's reason codes here (the venue's words stay in the message)."""

    DUPLICATE_CLIENT_ID = "duplicate_client_id"  # the order exists: find it, never resend
    POST_ONLY_WOULD_CROSS = "post_only_would_cross"  # reprice at the new touch at once
    INSUFFICIENT_FUNDS = "insufficient_funds"
    ALREADY_FILLED = "already_filled"  # a cancel that met a filled order: a fill, not a cancel
    # off the product's grid, size limits or status as the venue has them now: read the
    # product rules again (EX-4)
    PRODUCT_RULES = "product_rules"
    OTHER = "other"


IOC_KINDS = frozenset({OrderKind.MARKET_IOC, OrderKind.SOR_LIMIT_IOC})
STOP_KINDS = frozenset({OrderKind.STOP_LIMIT_GTC, OrderKind.STOP_LIMIT_GTD})
BRACKET_KINDS = frozenset({OrderKind.BRACKET_GTC, OrderKind.BRACKET_GTD})
GTD_KINDS = frozenset({OrderKind.LIMIT_GTD, OrderKind.STOP_LIMIT_GTD, OrderKind.BRACKET_GTD})
# kinds that can rest on the book (or wait for their stop) and count as open orders
RESTING_KINDS = frozenset({OrderKind.LIMIT_GTC, OrderKind.LIMIT_GTD}) | STOP_KINDS | BRACKET_KINDS
# kinds whose orders may be post-only (the flag is ignored on every other kind)
POST_ONLY_KINDS = frozenset({OrderKind.LIMIT_GTC, OrderKind.LIMIT_GTD})


def time_in_force(kind: OrderKind) -> TimeInForce:
    if kind in IOC_KINDS:
        return TimeInForce.IMMEDIATE_OR_CANCEL
    if kind is OrderKind.LIMIT_FOK:
        return TimeInForce.FILL_OR_KILL
    if kind in GTD_KINDS:
        return TimeInForce.GOOD_UNTIL_DATE_TIME
    return TimeInForce.GOOD_UNTIL_CANCELLED


def order_type(kind: OrderKind) -> str:
    """The order type a venue reports for this kind: MARKET, LIMIT, STOP_LIMIT or BRACKET."""
    if kind is OrderKind.MARKET_IOC:
        return "MARKET"
    if kind in STOP_KINDS:
        return "STOP_LIMIT"
    return "BRACKET" if kind in BRACKET_KINDS else "LIMIT"


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


_DECIMAL_FIELDS = ("base_size", "quote_size", "limit_price")


def encode_request(req: OrderRequest) -> bytes:
    """Deterministic bytes of a request (same request → same bytes); every field present,
    Decimals as their exact text (`decode_request` gives back the very same values)."""
    return orjson.dumps(
        {
            "client_order_id": req.client_order_id,
            "product_id": req.product_id,
            "side": str(req.side),
            "kind": str(req.kind),
            **{name: _decimal_text(getattr(req, name)) for name in _DECIMAL_FIELDS},
            "post_only": req.post_only,
            "end_time": req.end_time,
        }
    )


def decode_request(body: bytes) -> OrderRequest:
    """The request `encode_request` wrote; ValueError when the bytes are not one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"order request is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("order request is not an object")
    try:
        return _request_from(data)
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise ValueError(f"malformed order request: {exc!r}") from None


def _request_from(data: dict[str, Any]) -> OrderRequest:
    end_time = data["end_time"]
    if end_time is not None and not isinstance(end_time, int | float):
        raise TypeError("end_time must be a number")
    return OrderRequest(
        client_order_id=_text(data["client_order_id"]),
        product_id=_text(data["product_id"]),
        side=Side(data["side"]),
        kind=OrderKind(data["kind"]),
        base_size=_decimal_of(data["base_size"]),
        quote_size=_decimal_of(data["quote_size"]),
        limit_price=_decimal_of(data["limit_price"]),
        post_only=data["post_only"] is True,
        end_time=None if end_time is None else float(end_time),
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal_of(value: object) -> Decimal | None:
    if value is None:
        return None
    amount = Decimal(_text(value))
    if not amount.is_finite():
        raise InvalidOperation(f"not a finite decimal: {value!r}")
    return amount
