"""`GET /orders/historical/batch` query filters, as the real API takes them (SIM-1, protocol
§2.8; SDK `orders.py::list_orders`).

Every documented filter is honoured; lists are repeated keys (a comma-separated value is
split too). Values outside the API's enums are a 400 INVALID_ARGUMENT; `UNKNOWN_*` values
mean "no filter".
- `order_ids`, `product_ids`, `order_status` (OPEN alone), `order_side`, `order_types`
  (MARKET, LIMIT, STOP_LIMIT, BRACKET, …), `time_in_forces` (GOOD_UNTIL_CANCELLED,
  GOOD_UNTIL_DATE_TIME, IMMEDIATE_OR_CANCEL, FILL_OR_KILL), `asset_filters` (the order's
  base or quote currency), `start_date`/`end_date` (creation time; not applied to OPEN
  orders);
- `product_type`, `order_placement_source`, `contract_expiry_type`, `retail_portfolio_id`:
  every order of this venue is SPOT, RETAIL_ADVANCED, without contract expiry and in the
  key's portfolio, so another value matches nothing;
- `sort_by`: UNKNOWN_SORT_BY (default: newest first), LIMIT_PRICE (highest first, orders
  without a limit last), LAST_FILL_TIME (latest fill first, unfilled last).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from trader.core.orders import OrderStatus
from trader.matching.types import SimOrder
from trader.sim.server.context import VenueContext
from trader.sim.server.encode_orders import TIME_IN_FORCE, order_type
from trader.sim.server.params import query_list, query_time
from trader.sim.server.responses import invalid_argument

ORDER_TYPES = frozenset(
    {
        "MARKET",
        "LIMIT",
        "STOP",
        "STOP_LIMIT",
        "BRACKET",
        "TAKE_PROFIT_STOP_LOSS",
        "TWAP",
        "ROLL_OPEN",
        "ROLL_CLOSE",
        "LIQUIDATION",
        "SCALED",
    }
)
TIME_IN_FORCES = frozenset(TIME_IN_FORCE.values())
SORT_BY = ("", "UNKNOWN_SORT_BY", "LIMIT_PRICE", "LAST_FILL_TIME")
# parameter -> (accepted values, the one value that matches this venue's orders)
VENUE_SCOPE = {
    "product_type": (("SPOT", "FUTURE", "UNKNOWN_PRODUCT_TYPE"), "SPOT"),
    "order_placement_source": (
        ("RETAIL_SIMPLE", "RETAIL_ADVANCED", "UNKNOWN_PLACEMENT_SOURCE"),
        "RETAIL_ADVANCED",
    ),
    "contract_expiry_type": (
        ("EXPIRING", "PERPETUAL", "UNKNOWN_CONTRACT_EXPIRY_TYPE"),
        "UNKNOWN_CONTRACT_EXPIRY_TYPE",
    ),
}


@dataclass(frozen=True, slots=True)
class OrderFilter:
    ids: frozenset[str]
    products: frozenset[str]
    statuses: frozenset[str]
    types: frozenset[str]
    side: str
    time_in_forces: frozenset[str]
    assets: frozenset[str]
    start: float | None
    end: float | None
    in_scope: bool

    def matches(self, order: SimOrder, base: str, quote: str) -> bool:
        return self.in_scope and all(
            (
                not self.ids or order.order_id in self.ids,
                not self.products or order.product_id in self.products,
                not self.statuses or str(order.status) in self.statuses,
                not self.side or order.side == self.side,
                not self.types or order_type(order) in self.types,
                not self.time_in_forces or TIME_IN_FORCE[order.spec.kind] in self.time_in_forces,
                not self.assets or bool({base, quote} & self.assets),
                order.status is OrderStatus.OPEN or self._in_dates(order.created_time),
            )
        )

    def _in_dates(self, ts: float) -> bool:
        return (self.start is None or ts >= self.start) and (self.end is None or ts <= self.end)


def _values(request: web.Request, name: str) -> frozenset[str]:
    """A list parameter (repeated keys or comma-separated), `UNKNOWN_*` entries dropped."""
    values = [v.strip() for raw in query_list(request, name) for v in raw.split(",")]
    return frozenset(v for v in values if v and not v.startswith("UNKNOWN_"))


def _enum_values(request: web.Request, name: str, allowed: frozenset[str]) -> frozenset[str]:
    values = _values(request, name)
    unknown = sorted(values - allowed)
    if unknown:
        raise invalid_argument(f"{name} {unknown[0]!r} is invalid")
    return values


def _in_scope(request: web.Request, ctx: VenueContext) -> bool:
    scope = True
    for name, (allowed, ours) in VENUE_SCOPE.items():
        value = request.query.get(name, "")
        if value and value not in allowed:
            raise invalid_argument(f"{name} {value!r} is invalid")
        scope = scope and (not value or value.startswith("UNKNOWN_") or value == ours)
    portfolio = request.query.get("retail_portfolio_id", "")
    return scope and (not portfolio or portfolio == ctx.portfolio_id)


def parse_filter(request: web.Request, ctx: VenueContext) -> OrderFilter:
    statuses = _enum_values(request, "order_status", frozenset(OrderStatus.__members__))
    if "OPEN" in statuses and len(statuses) > 1:
        raise invalid_argument("OPEN cannot be combined with other order statuses")
    side = request.query.get("order_side", "")
    if side not in ("", "BUY", "SELL"):
        raise invalid_argument(f"order_side {side!r} is invalid")
    return OrderFilter(
        ids=frozenset(query_list(request, "order_ids")),
        products=frozenset(query_list(request, "product_ids")),
        statuses=statuses,
        types=_enum_values(request, "order_types", ORDER_TYPES),
        side=side,
        time_in_forces=_enum_values(request, "time_in_forces", TIME_IN_FORCES),
        assets=_values(request, "asset_filters"),
        start=query_time(request, "start_date"),
        end=query_time(request, "end_date"),
        in_scope=_in_scope(request, ctx),
    )


def sort_orders(request: web.Request, orders: list[SimOrder]) -> list[SimOrder]:
    """`orders` newest first, re-sorted (stably) by `sort_by`."""
    sort_by = request.query.get("sort_by", "")
    if sort_by not in SORT_BY:
        raise invalid_argument(f"sort_by {sort_by!r} is invalid")
    if sort_by == "LIMIT_PRICE":
        return sorted(orders, key=lambda o: (o.limit_price is None, -(o.limit_price or 0)))
    if sort_by == "LAST_FILL_TIME":
        return sorted(orders, key=lambda o: -(o.last_fill_time or float("-inf")))
    return orders


def select_orders(request: web.Request, ctx: VenueContext) -> list[SimOrder]:
    """The orders matching the request's filters, in the requested order."""
    wanted = parse_filter(request, ctx)
    out = []
    for order in reversed(ctx.engine.orders()):
        rules = ctx.engine.product(order.product_id)
        base, quote = (rules.base_currency, rules.quote_currency) if rules else ("", "")
        if wanted.matches(order, base, quote):
            out.append(order)
    return sort_orders(request, out)
