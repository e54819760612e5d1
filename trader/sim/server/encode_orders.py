"""Wire encoding of own orders and fills (SIM-1, coinbase-protocol.md §2.5–2.9, §5 user).

`order_json` is the `orders/historical` object (every field, strings), `user_order_json` the
`user` channel's order row, `fill_json` an `orders/historical/fills` row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trader.core.orders import TERMINAL_STATUSES, OrderKind, time_in_force
from trader.core.orders import order_type as kind_order_type
from trader.matching.types import SimFill, SimOrder
from trader.sim.server.encode import ZERO_TIME, dec, rfc3339

TIME_IN_FORCE = {kind: str(time_in_force(kind)) for kind in OrderKind}
PERCENT_GRID = Decimal("0.01")


def order_type(order: SimOrder) -> str:
    return kind_order_type(order.spec.kind)


def stop_price(order: SimOrder) -> Decimal | None:
    """A stop-limit's stop price or a bracket's stop trigger price."""
    return order.spec.stop_price or order.spec.stop_trigger_price


def edit_history_json(order: SimOrder) -> list[dict[str, str]]:
    return [
        {"price": dec(e.price), "size": dec(e.size), "replace_accept_timestamp": rfc3339(e.time)}
        for e in order.edit_history
    ]


def completion_percentage(order: SimOrder) -> Decimal:
    if order.spec.base_size:
        ratio = order.filled_size / order.spec.base_size
    elif order.spec.quote_size:
        ratio = order.filled_value / order.spec.quote_size
    else:
        ratio = Decimal(0)
    return (ratio * 100).quantize(PERCENT_GRID)


def value_after_fees(order: SimOrder) -> Decimal:
    """What the order cost (BUY: value + fees) or brought in (SELL: value - fees)."""
    if order.side == "BUY":
        return order.filled_value + order.total_fees
    return order.filled_value - order.total_fees


def leaves_quantity(order: SimOrder) -> Decimal:
    if order.status in TERMINAL_STATUSES:
        return Decimal(0)
    return order.leaves_size


def order_json(order: SimOrder, user_id: str, portfolio_id: str) -> dict[str, Any]:
    """The `orders/historical/{id}` order object."""
    return {
        "order_id": order.order_id,
        "product_id": order.product_id,
        "user_id": user_id,
        "order_configuration": order.configuration,
        "side": str(order.side),
        "client_order_id": order.client_order_id,
        "status": str(order.status),
        "time_in_force": TIME_IN_FORCE[order.spec.kind],
        "created_time": rfc3339(order.created_time),
        "completion_percentage": dec(completion_percentage(order)),
        "filled_size": dec(order.filled_size),
        "average_filled_price": dec(order.average_filled_price),
        "fee": "",
        "number_of_fills": str(order.number_of_fills),
        "filled_value": dec(order.filled_value),
        "pending_cancel": False,
        "size_in_quote": order.spec.quote_size is not None,
        "total_fees": dec(order.total_fees),
        "size_inclusive_of_fees": False,
        "total_value_after_fees": dec(value_after_fees(order)),
        "trigger_status": order.trigger_status,
        "order_type": order_type(order),
        "reject_reason": order.reject_reason,
        "settled": order.status in TERMINAL_STATUSES,
        "product_type": "SPOT",
        "reject_message": "",
        "cancel_message": order.cancel_reason,
        "order_placement_source": "RETAIL_ADVANCED",
        "outstanding_hold_amount": dec(order.hold),
        "is_liquidation": False,
        "last_fill_time": rfc3339(order.last_fill_time) if order.last_fill_time else None,
        "edit_history": edit_history_json(order),
        "leverage": "",
        "margin_type": "UNKNOWN_MARGIN_TYPE",
        "retail_portfolio_id": portfolio_id,
        "originating_order_id": "",
        "attached_order_id": "",
        "attached_order_configuration": None,
    }


def user_order_json(order: SimOrder, portfolio_id: str) -> dict[str, Any]:
    """A `user` channel order row (no per-fill events: fills show in `cumulative_quantity`)."""
    spec, limit, stop = order.spec, order.limit_price, stop_price(order)
    return {
        "avg_price": dec(order.average_filled_price),
        "cancel_reason": order.cancel_reason,
        "client_order_id": order.client_order_id,
        "completion_percentage": dec(completion_percentage(order)),
        "contract_expiry_type": "UNKNOWN_CONTRACT_EXPIRY_TYPE",
        "cumulative_quantity": dec(order.filled_size),
        "filled_value": dec(order.filled_value),
        "leaves_quantity": dec(leaves_quantity(order)),
        "limit_price": dec(limit) if limit is not None else "0",
        "number_of_fills": str(order.number_of_fills),
        "order_id": order.order_id,
        "order_side": str(order.side),
        "order_type": order_type(order),
        "outstanding_hold_amount": dec(order.hold),
        "post_only": "true" if spec.post_only else "false",
        "product_id": order.product_id,
        "product_type": "SPOT",
        "reject_reason": "",
        "retail_portfolio_id": portfolio_id,
        "risk_managed_by": "UNKNOWN_RISK_MANAGEMENT_TYPE",
        "status": str(order.status),
        "stop_price": dec(stop) if stop is not None else "",
        "time_in_force": TIME_IN_FORCE[spec.kind],
        "total_fees": dec(order.total_fees),
        "total_value_after_fees": dec(value_after_fees(order)),
        "trigger_status": order.trigger_status,
        "creation_time": rfc3339(order.created_time),
        "end_time": rfc3339(spec.end_time) if spec.end_time is not None else ZERO_TIME,
        "start_time": ZERO_TIME,
    }


def fill_json(fill: SimFill, user_id: str, portfolio_id: str) -> dict[str, Any]:
    """An `orders/historical/fills` row."""
    return {
        "entry_id": fill.entry_id,
        "trade_id": fill.trade_id,
        "order_id": fill.order_id,
        "trade_time": rfc3339(fill.trade_time),
        "trade_type": "FILL",
        "price": dec(fill.price),
        "size": dec(fill.size),
        "commission": dec(fill.commission),
        "product_id": fill.product_id,
        "sequence_timestamp": rfc3339(fill.trade_time),
        "liquidity_indicator": fill.liquidity,
        "size_in_quote": False,
        "user_id": user_id,
        "side": str(fill.side),
        "retail_portfolio_id": portfolio_id,
    }
