"""The seam between the simulated venue's pure parts and its protocol server.

`trader.sim.market` (market data sources, candle history) and `trader.sim.engine`
(matching engine, balances, holds, fees, ledger) are pure, in-memory and deterministic:
they never read a clock or touch a socket; every call takes `now` (UTC epoch seconds).
`trader.sim.server` speaks the Coinbase Advanced Trade wire protocol (REST, WebSocket,
JWT) on loopback and drives them. The types below are what crosses that seam.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from trader.core.types import BookLevel, Candle, FeeRates, ProductRules, Quote, Side, Trade

MARKETS = ("synthetic", "coinbase-minute", "binance-5m", "ws-capture")  # `sim.market` choices


class OrderKind(StrEnum):
    """The `order_configuration` keys the venue accepts."""

    MARKET_IOC = "market_market_ioc"
    LIMIT_GTC = "limit_limit_gtc"
    LIMIT_GTD = "limit_limit_gtd"
    LIMIT_FOK = "limit_limit_fok"
    SOR_LIMIT_IOC = "sor_limit_ioc"
    STOP_LIMIT_GTC = "stop_limit_stop_limit_gtc"
    STOP_LIMIT_GTD = "stop_limit_stop_limit_gtd"
    BRACKET_GTC = "trigger_bracket_gtc"
    BRACKET_GTD = "trigger_bracket_gtd"


IOC_KINDS = frozenset({OrderKind.MARKET_IOC, OrderKind.SOR_LIMIT_IOC})
STOP_KINDS = frozenset({OrderKind.STOP_LIMIT_GTC, OrderKind.STOP_LIMIT_GTD})
BRACKET_KINDS = frozenset({OrderKind.BRACKET_GTC, OrderKind.BRACKET_GTD})
GTD_KINDS = frozenset({OrderKind.LIMIT_GTD, OrderKind.STOP_LIMIT_GTD, OrderKind.BRACKET_GTD})
# kinds that can rest on the book (or wait for their stop) and count as open orders
RESTING_KINDS = frozenset({OrderKind.LIMIT_GTC, OrderKind.LIMIT_GTD}) | STOP_KINDS | BRACKET_KINDS
STOP_UP = "STOP_DIRECTION_STOP_UP"
STOP_DOWN = "STOP_DIRECTION_STOP_DOWN"
TRIGGER_NONE = "INVALID_ORDER_TYPE"
TRIGGER_PENDING = "STOP_PENDING"
TRIGGER_DONE = "STOP_TRIGGERED"


class OrderStatus(StrEnum):
    """Coinbase order status enum (the subset the venue produces)."""

    PENDING = "PENDING"
    OPEN = "OPEN"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """A parsed `order_configuration` (exactly one kind)."""

    kind: OrderKind
    base_size: Decimal | None = None
    quote_size: Decimal | None = None
    limit_price: Decimal | None = None
    post_only: bool = False
    end_time: float | None = None
    stop_price: Decimal | None = None  # stop-limit trigger
    stop_direction: str | None = None  # STOP_UP | STOP_DOWN (stop-limit)
    stop_trigger_price: Decimal | None = None  # bracket stop-loss trigger


@dataclass(frozen=True, slots=True)
class EditRecord:
    """One accepted edit (`edit_history[]` row): the new price and size."""

    price: Decimal
    size: Decimal
    time: float


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A create-order request after wire parsing; `configuration` is the raw echo."""

    client_order_id: str
    product_id: str
    side: Side
    spec: OrderSpec
    configuration: dict[str, Any]


@dataclass(slots=True)
class SimOrder:
    """One order the venue accepted. Mutated only by the engine."""

    order_id: str
    client_order_id: str
    product_id: str
    side: Side
    spec: OrderSpec
    configuration: dict[str, Any]
    created_time: float
    status: OrderStatus = OrderStatus.OPEN
    filled_size: Decimal = Decimal(0)
    filled_value: Decimal = Decimal(0)
    total_fees: Decimal = Decimal(0)
    number_of_fills: int = 0
    last_fill_time: float | None = None
    hold: Decimal = Decimal(0)
    cancel_reason: str = ""
    reject_reason: str = "REJECT_REASON_UNSPECIFIED"
    trigger_status: str = TRIGGER_NONE
    work_price: Decimal | None = None  # the working limit once a bracket's stop fired
    edit_history: list[EditRecord] = field(default_factory=list)

    @property
    def limit_price(self) -> Decimal | None:
        """The price the order works at (a triggered bracket's stop limit, else its own)."""
        return self.work_price if self.work_price is not None else self.spec.limit_price

    @property
    def average_filled_price(self) -> Decimal:
        if self.filled_size == 0:
            return Decimal(0)
        return self.filled_value / self.filled_size

    @property
    def leaves_size(self) -> Decimal:
        """Base size still working (0 for quote-sized market orders once done)."""
        if self.spec.base_size is None:
            return Decimal(0)
        return self.spec.base_size - self.filled_size


@dataclass(frozen=True, slots=True)
class SimFill:
    """One execution of an own order (`orders/historical/fills` row)."""

    entry_id: str
    trade_id: str
    order_id: str
    product_id: str
    side: Side
    price: Decimal
    size: Decimal
    commission: Decimal
    liquidity: str  # "MAKER" | "TAKER"
    trade_time: float


@dataclass(frozen=True, slots=True)
class CreateOutcome:
    """Result of `create_order`: accepted (with the order) or rejected (with reasons)."""

    success: bool
    order: SimOrder | None = None
    error: str = ""  # e.g. "INSUFFICIENT_FUND"
    message: str = ""
    failure_reason: str = "UNKNOWN_FAILURE_REASON"  # new_order_failure_reason
    preview_failure_reason: str = "UNKNOWN_PREVIEW_FAILURE_REASON"


@dataclass(frozen=True, slots=True)
class PreviewOutcome:
    order_total: Decimal
    commission_total: Decimal
    base_size: Decimal
    quote_size: Decimal
    best_bid: Decimal
    best_ask: Decimal
    slippage: Decimal
    errs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EditOutcome:
    """Result of `edit_order`: accepted, or refused with Coinbase's edit/preview reasons."""

    success: bool
    edit_failure_reason: str = "UNKNOWN_EDIT_ORDER_FAILURE_REASON"
    preview_failure_reason: str = "UNKNOWN_PREVIEW_FAILURE_REASON"
    message: str = ""


@dataclass(frozen=True, slots=True)
class EditPreview:
    """Result of `preview_edit`: totals of the order as edited, or the reasons it would fail."""

    outcome: EditOutcome
    preview: PreviewOutcome | None = None
    average_filled_price: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    order_id: str
    success: bool
    failure_reason: str = "UNKNOWN_CANCEL_FAILURE_REASON"


@dataclass(frozen=True, slots=True)
class Balance:
    currency: str
    available: Decimal
    hold: Decimal


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """The market's own liquidity for one product (own orders are added by the engine)."""

    product_id: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    time: float
    snapshot: bool = True


MarketEvent = Trade | BookUpdate


class MarketSource(Protocol):
    """Where the venue's market comes from: a seeded synthetic market or a replay."""

    def products(self) -> list[ProductRules]: ...

    def history(self, product_id: str) -> list[Candle]:
        """At least 24 h of closed 1-minute candles ending at the source's start time."""
        ...

    def daily_history(self, product_id: str) -> list[Candle]:
        """Closed 86400-s candles on UTC midnights, oldest first, for the days before the
        1-minute history (the last ends at or before the midnight that starts the day of the
        first `history` candle); may be empty. Serves ONE_DAY candles for those days."""
        ...

    def recent_trades(self, product_id: str) -> list[Trade]:
        """Trades printed before the source's start (oldest first, timed at or before it),
        consistent with `history`; their trade ids precede every live one. The venue serves
        them at once (`products/{id}/ticker`, the `market_trades` snapshot)."""
        ...

    def advance(self, now: float) -> list[MarketEvent]:
        """Every trade and book change up to `now`, in time order (deterministic)."""
        ...


class CandleHistory(Protocol):
    """1-minute candles (history plus those built from trades) aggregated on demand."""

    def record(self, trade: Trade) -> None: ...

    def candles(
        self, product_id: str, granularity_s: int, start: int, end: int, now: float
    ) -> list[Candle]:
        """Buckets overlapping [start, end), newest first; the forming bucket included."""
        ...

    def stats_24h(self, product_id: str, now: float) -> tuple[Decimal, Decimal, Decimal]:
        """(volume, low, high) over the last 24 h."""
        ...


OrderListener = Callable[[SimOrder], None]


class Engine(Protocol):
    """The matching engine seen by the protocol server."""

    def product(self, product_id: str) -> ProductRules | None: ...

    def products(self) -> list[ProductRules]: ...

    def set_product_flags(self, product_id: str, **flags: Any) -> None:
        """Fault injection: flip `trading_disabled`, `cancel_only`, `limit_only`, `status`."""
        ...

    def apply_market(self, event: MarketEvent, now: float) -> None:
        """Feed a trade (fills resting own orders it prints through) or a book update."""
        ...

    def create_order(self, order: NewOrder, now: float) -> CreateOutcome: ...

    def preview_order(self, order: NewOrder, now: float) -> PreviewOutcome: ...

    def cancel_orders(self, order_ids: list[str], now: float) -> list[CancelOutcome]: ...

    def edit_order(
        self, order_id: str, price: Decimal | None, size: Decimal | None, now: float
    ) -> EditOutcome:
        """Change price and/or total size of an OPEN limit GTC order (Coinbase's rules)."""
        ...

    def preview_edit(
        self, order_id: str, price: Decimal | None, size: Decimal | None, now: float
    ) -> EditPreview: ...

    def expire_orders(self, now: float) -> None:
        """Expire GTD orders whose `end_time` has passed."""
        ...

    def get_order(self, order_id: str) -> SimOrder | None: ...

    def orders(self) -> list[SimOrder]:
        """Every order ever accepted, in acceptance order (the audit ledger)."""
        ...

    def fills(self) -> list[SimFill]: ...

    def balances(self) -> list[Balance]: ...

    def fee_rates(self) -> FeeRates: ...

    def traded_volume(self) -> Decimal: ...

    def quote(self, product_id: str) -> Quote | None: ...

    def book(self, product_id: str, depth: int) -> tuple[list[BookLevel], list[BookLevel]]:
        """Aggregated levels (market plus own resting orders), best first."""
        ...

    def subscribe(self, listener: OrderListener) -> Callable[[], None]:
        """Call `listener` on every state or fill change of an own order; returns unsubscribe."""
        ...


@dataclass(slots=True)
class VenueSetup:
    """How to build one venue: products, starting balances, fee tier, seed."""

    balances: dict[str, Decimal] = field(default_factory=lambda: {"USD": Decimal("100000")})
    fees: FeeRates = field(
        default_factory=lambda: FeeRates(maker=Decimal("0.004"), taker=Decimal("0.006"))
    )
    seed: int = 7
