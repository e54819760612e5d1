"""PAPER's order mapping (X-6): the neutral `OrderRequest` onto the matching engine, and
the engine's orders and fills back as the exchange models the daemon reads.

The mapping gives exactly what a Coinbase body round trip used to give (and what LIVE
reports): prices and sizes in plain notation, a GTD `end_time` on whole seconds, amounts
read back without trailing zeros, times on whole microseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from trader.core.orders import (
    POST_ONLY_KINDS,
    TERMINAL_STATUSES,
    OrderKind,
    OrderRequest,
    order_type,
    time_in_force,
)
from trader.exchange.coinbase.orders import order_configuration
from trader.exchange.models import Fill, Order, OrderEvent
from trader.matching.types import NewOrder, OrderSpec, SimFill, SimOrder


def engine_order(request: OrderRequest) -> NewOrder:
    """The engine's new order for `request` (its configuration echo is the venue body's)."""
    kind = request.kind
    spec = OrderSpec(
        kind=kind,
        base_size=_plain(request.base_size),
        quote_size=_plain(request.quote_size) if kind is OrderKind.MARKET_IOC else None,
        limit_price=_plain(request.limit_price),
        post_only=request.post_only and kind in POST_ONLY_KINDS,
        end_time=_whole_second(request.end_time) if kind is OrderKind.LIMIT_GTD else None,
    )
    return NewOrder(
        client_order_id=request.client_order_id,
        product_id=request.product_id,
        side=request.side,
        spec=spec,
        configuration=order_configuration(request),
    )


def order_model(order: SimOrder) -> Order:
    """The engine's order as the venue reports it (`get_order`, `list_orders`)."""
    spec = order.spec
    return Order(
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        product_id=order.product_id,
        side=order.side,
        status=order.status,
        order_type=order_type(spec.kind),
        time_in_force=str(time_in_force(spec.kind)),
        created_time=_microseconds(order.created_time),
        filled_size=_reported(order.filled_size),
        average_filled_price=_reported(order.average_filled_price),
        filled_value=_reported(order.filled_value),
        total_fees=_reported(order.total_fees),
        number_of_fills=order.number_of_fills,
        base_size=spec.base_size,
        quote_size=spec.quote_size,
        limit_price=spec.limit_price,
        post_only=spec.post_only,
        reject_reason=order.reject_reason,
        cancel_message=order.cancel_reason,
        settled=order.status in TERMINAL_STATUSES,
        order_configuration=order.configuration,
    )


def fill_model(fill: SimFill) -> Fill:
    """One engine execution as the venue's fills list reports it."""
    return Fill(
        entry_id=fill.entry_id,
        trade_id=fill.trade_id,
        order_id=fill.order_id,
        product_id=fill.product_id,
        side=fill.side,
        price=_reported(fill.price),
        size=_reported(fill.size),
        commission=_reported(fill.commission),
        liquidity=fill.liquidity,
        trade_type="FILL",
        trade_time=_microseconds(fill.trade_time),
        sequence_timestamp=_rfc3339_micro(fill.trade_time),
    )


def order_event(order: SimOrder) -> OrderEvent:
    """The own-order event the user stream carries for a state or fill change."""
    return OrderEvent(
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        product_id=order.product_id,
        side=order.side.value,
        status=order.status,
        order_type=order.spec.kind.value,
        cumulative_quantity=order.filled_size,
        leaves_quantity=order.leaves_size,
        avg_price=order.average_filled_price,
        filled_value=order.filled_value,
        total_fees=order.total_fees,
        number_of_fills=order.number_of_fills,
        snapshot=False,
        source="paper",
    )


def _plain(value: Decimal | None) -> Decimal | None:
    """The value as a venue reads it from plain notation (`1E+2` arrives as `100`)."""
    return None if value is None else Decimal(format(value, "f"))


def _reported(value: Decimal) -> Decimal:
    """The value as a venue reports it: no trailing zeros, zero as `0`."""
    if value == 0:
        return Decimal(0)
    return Decimal(format(value.normalize(), "f"))


def _whole_second(ts: float | None) -> float | None:
    """An end time as the venue reads it: the wire form carries whole seconds."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).replace(microsecond=0).timestamp()


def _microseconds(ts: float) -> float:
    """A time as the venue reports it: on whole microseconds."""
    return datetime.fromtimestamp(ts, UTC).timestamp()


def _rfc3339_micro(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
