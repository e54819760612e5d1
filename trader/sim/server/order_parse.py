"""Create/preview request bodies → `NewOrder` (SIM-1, coinbase-protocol.md §2.5).

A structurally malformed body (wrong types, missing fields, unparsable decimals or times)
is a 400 INVALID_ARGUMENT; a well-formed request the venue refuses (bad side, unsupported
configuration) is an `OrderRejected`, answered 200 with `success: false`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trader.core.orders import OrderKind
from trader.core.types import Side
from trader.matching.types import NewOrder, OrderSpec
from trader.sim.server.encode import parse_decimal, parse_rfc3339
from trader.sim.server.responses import invalid_argument


class OrderRejected(Exception):
    """A well-formed order the venue refuses before it reaches the engine."""

    def __init__(self, failure_reason: str, message: str) -> None:
        super().__init__(message)
        self.failure_reason = failure_reason
        self.message = message


def parse_new_order(body: dict[str, Any], *, need_client_id: bool = True) -> NewOrder:
    client_order_id = body.get("client_order_id", "")
    if not isinstance(client_order_id, str) or (need_client_id and not client_order_id):
        raise invalid_argument("client_order_id is required and must be a string")
    product_id = body.get("product_id")
    if not isinstance(product_id, str) or not product_id:
        raise invalid_argument("product_id is required and must be a string")
    configuration = body.get("order_configuration")
    if not isinstance(configuration, dict) or len(configuration) != 1:
        raise invalid_argument("order_configuration must be an object with exactly one key")
    side_raw = body.get("side")
    if not isinstance(side_raw, str):
        raise invalid_argument("side is required and must be a string")
    ((kind_name, fields),) = configuration.items()
    spec = parse_spec(kind_name, fields)
    if side_raw not in ("BUY", "SELL"):
        raise OrderRejected("INVALID_SIDE", f"side {side_raw!r} is invalid")
    return NewOrder(
        client_order_id=client_order_id,
        product_id=product_id,
        side=Side(side_raw),
        spec=spec,
        configuration=configuration,
    )


def parse_spec(kind_name: str, fields: Any) -> OrderSpec:
    try:
        kind = OrderKind(kind_name)
    except ValueError as exc:
        raise OrderRejected(
            "UNSUPPORTED_ORDER_CONFIGURATION", f"order configuration {kind_name!r} not supported"
        ) from exc
    if not isinstance(fields, dict):
        raise invalid_argument(f"order_configuration.{kind_name} must be an object")
    try:
        return OrderSpec(
            kind=kind,
            base_size=_decimal(fields, "base_size", kind_name),
            quote_size=_decimal(fields, "quote_size", kind_name),
            limit_price=_decimal(fields, "limit_price", kind_name),
            post_only=_bool(fields.get("post_only", False), f"{kind_name}.post_only"),
            end_time=_time(fields.get("end_time"), f"{kind_name}.end_time"),
            stop_price=_decimal(fields, "stop_price", kind_name),
            stop_direction=_text(fields.get("stop_direction"), f"{kind_name}.stop_direction"),
            stop_trigger_price=_decimal(fields, "stop_trigger_price", kind_name),
        )
    except ValueError as exc:
        raise invalid_argument(str(exc)) from exc


def _decimal(fields: dict[str, Any], name: str, kind_name: str) -> Decimal | None:
    raw = fields.get(name)
    if raw is None or raw == "":
        return None
    return parse_decimal(raw, f"{kind_name}.{name}")


def _bool(raw: object, field: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    raise ValueError(f"{field} must be a boolean")


def _text(raw: object, field: str) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise ValueError(f"{field} must be a string")
    return raw


def _time(raw: object, field: str) -> float | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise ValueError(f"{field} must be an RFC3339 string")
    return parse_rfc3339(raw, field)
