"""Typed results of the exchange adapter (EX-1, EX-2). Money is Decimal, time is epoch s.

Shared domain types (`ProductRules`, `Candle`, `Quote`, `FeeRates`, `Side`) come from
`trader.core.types`; this module adds what only the adapter and its consumers need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from trader.core.orders import OrderStatus, RejectCause
from trader.core.types import SIDES, Quote, Side, Trade
from trader.core.values import write_once


@dataclass(frozen=True, slots=True, init=False)
class Account:
    """Read-only (`core/values.py`)."""

    uuid: str
    currency: str
    available: Decimal
    hold: Decimal
    account_type: str
    active: bool
    ready: bool

    def __init__(
        self,
        uuid: str,
        currency: str,
        available: Decimal,
        hold: Decimal,
        account_type: str,
        active: bool,
        ready: bool,
    ) -> None:
        self.uuid = uuid  # type: ignore[misc]
        self.currency = currency  # type: ignore[misc]
        self.available = available  # type: ignore[misc]
        self.hold = hold  # type: ignore[misc]
        self.account_type = account_type  # type: ignore[misc]
        self.active = active  # type: ignore[misc]
        self.ready = ready  # type: ignore[misc]


def balances_by_currency(accounts: list[Account]) -> dict[str, Decimal]:
    """Total (available + hold) per currency of the accounts read (each listed once: the
    adapter refuses a listing that repeats an account with other figures)."""
    totals: dict[str, Decimal] = {}
    for account in accounts:
        totals[account.currency] = (
            totals.get(account.currency, Decimal(0)) + account.available + account.hold
        )
    return totals


@dataclass(frozen=True, slots=True)
class ServerTime:
    epoch: float
    iso: str


@dataclass(frozen=True, slots=True)
class Order:
    """An order as `GET /orders/historical/...` reports it (X-4, X-5)."""

    order_id: str
    client_order_id: str
    product_id: str
    side: Side
    status: OrderStatus
    order_type: str
    time_in_force: str
    created_time: float
    filled_size: Decimal
    average_filled_price: Decimal
    filled_value: Decimal
    total_fees: Decimal
    number_of_fills: int
    base_size: Decimal | None
    quote_size: Decimal | None
    limit_price: Decimal | None
    post_only: bool
    reject_reason: str
    cancel_message: str
    settled: bool
    order_configuration: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of an own order (X-4); deduplicate by `trade_id`."""

    entry_id: str
    trade_id: str
    order_id: str
    product_id: str
    side: Side
    price: Decimal
    size: Decimal
    commission: Decimal
    liquidity: str
    trade_type: str
    trade_time: float
    sequence_timestamp: str


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    """The venue created (or, for a known client_order_id, returned) this order."""

    order_id: str
    client_order_id: str
    product_id: str


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """A refusal of this request: a 200 with `success:false`, or a 4xx answer (not 408/429).
    It proves that no order exists only when no earlier request for the same client id
    could have created one (X-7)."""

    reason: str  # the venue's reason code, as it said it
    message: str
    http_status: int
    preview_failure_reason: str = ""
    cause: RejectCause = RejectCause.OTHER  # what the reason means, venue-neutral


@dataclass(frozen=True, slots=True)
class OrderUnknown:
    """No definite answer (timeout, 5xx, 408, 429, connection lost, unparseable). X-1: the
    intent stays SUBMITTING; resend the byte-identical body to learn the outcome."""

    cause: str


CreateOrderResult = OrderAccepted | OrderRejected | OrderUnknown


@dataclass(frozen=True, slots=True)
class PreviewResult:
    order_total: Decimal
    commission_total: Decimal
    base_size: Decimal
    quote_size: Decimal
    best_bid: Decimal
    best_ask: Decimal
    slippage: Decimal
    errs: tuple[str, ...]
    warnings: tuple[str, ...]
    preview_id: str


@dataclass(frozen=True, slots=True)
class CancelResult:
    order_id: str
    success: bool
    failure_reason: str  # the venue's words
    cause: RejectCause = RejectCause.OTHER  # of a failure, venue-neutral


# --- stream events (hot path: plain slots classes, not frozen, no validation layer) -------
# The three built per message write their `__init__` out: compiled (trader/native.py), an
# own `__init__` is native code, while the one `dataclass` generates stays interpreted
# (4x slower per event). `tests/exchange/test_models.py` holds each to its fields.


@dataclass(slots=True)
class TickerEvent:
    """One `ticker` row: last price and the touch (EX-2). `time` is the frame timestamp."""

    product_id: str
    price: Decimal
    bid: Decimal
    bid_size: Decimal
    ask: Decimal
    ask_size: Decimal
    time: float

    def __init__(
        self,
        product_id: str,
        price: Decimal,
        bid: Decimal,
        bid_size: Decimal,
        ask: Decimal,
        ask_size: Decimal,
        time: float,
    ) -> None:
        self.product_id = product_id
        self.price = price
        self.bid = bid
        self.bid_size = bid_size
        self.ask = ask
        self.ask_size = ask_size
        self.time = time

    def to_quote(self) -> Quote:
        return Quote(self.product_id, self.bid, self.bid_size, self.ask, self.ask_size, self.time)


@dataclass(slots=True)
class MarketTrade:
    """One `market_trades` print; `side` is the maker side as Coinbase reports it."""

    product_id: str
    trade_id: str
    price: Decimal
    size: Decimal
    side: str
    time: float

    def __init__(
        self, product_id: str, trade_id: str, price: Decimal, size: Decimal, side: str, time: float
    ) -> None:
        self.product_id = product_id
        self.trade_id = trade_id
        self.price = price
        self.size = size
        self.side = side
        self.time = time

    def to_trade(self) -> Trade:
        return Trade(
            self.product_id,
            self.trade_id,
            self.price,
            self.size,
            SIDES.get(self.side) or Side(self.side),
            self.time,
        )


@dataclass(slots=True)
class TradesEvent:
    """The trades of one `market_trades` event; a snapshot repeats recent history."""

    trades: list[MarketTrade]
    snapshot: bool

    def __init__(self, trades: list[MarketTrade], snapshot: bool) -> None:
        self.trades = trades
        self.snapshot = snapshot


@dataclass(slots=True)
class BookEvent:
    """`l2_data`: absolute level sizes, side `bid` or `offer`; size 0 removes the level."""

    product_id: str
    snapshot: bool
    updates: list[tuple[str, Decimal, Decimal]]


@dataclass(slots=True)
class OrderEvent:
    """One own order as the `user` channel (or the REST fallback) reports it."""

    order_id: str
    client_order_id: str
    product_id: str
    side: str
    status: OrderStatus
    order_type: str
    cumulative_quantity: Decimal
    leaves_quantity: Decimal
    avg_price: Decimal
    filled_value: Decimal
    total_fees: Decimal
    number_of_fills: int
    snapshot: bool
    source: str = "ws"


@dataclass(slots=True)
class StreamStatus:
    """Lifecycle of a stream: `up` (subscribed), `down` (lost, reconnecting) or `resync`
    (a sequence gap: snapshots follow). Consumers use it for REST fallback and freshness."""

    stream: str
    state: str
    reason: str
    time: float


MarketEvent = TickerEvent | TradesEvent | BookEvent | StreamStatus
UserEvent = OrderEvent | StreamStatus


write_once(Account)
