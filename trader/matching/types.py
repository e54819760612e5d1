"""The matching engine's own types: orders as it holds them, fills, outcomes, market input.

The engine (`trader.matching`) is pure, in-memory and deterministic: it never reads a
clock or touches a socket; every call takes `now` (UTC epoch seconds). Order kinds are the
venue-neutral `trader.core.orders.OrderKind`. The simulated venue's protocol server and
the PAPER/backtest exchange both drive it with these types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from trader.core.orders import OrderKind, OrderStatus
from trader.core.types import BookLevel, FeeRates, Side, Trade
from trader.core.values import write_once

STOP_UP: Final = "STOP_DIRECTION_STOP_UP"
STOP_DOWN: Final = "STOP_DIRECTION_STOP_DOWN"
TRIGGER_NONE: Final = "INVALID_ORDER_TYPE"
TRIGGER_PENDING: Final = "STOP_PENDING"
TRIGGER_DONE: Final = "STOP_TRIGGERED"


@dataclass(frozen=True, slots=True, init=False)
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

    def __init__(
        self,
        kind: OrderKind,
        base_size: Decimal | None = None,
        quote_size: Decimal | None = None,
        limit_price: Decimal | None = None,
        post_only: bool = False,
        end_time: float | None = None,
        stop_price: Decimal | None = None,
        stop_direction: str | None = None,
        stop_trigger_price: Decimal | None = None,
    ) -> None:
        self.kind = kind  # type: ignore[misc]
        self.base_size = base_size  # type: ignore[misc]
        self.quote_size = quote_size  # type: ignore[misc]
        self.limit_price = limit_price  # type: ignore[misc]
        self.post_only = post_only  # type: ignore[misc]
        self.end_time = end_time  # type: ignore[misc]
        self.stop_price = stop_price  # type: ignore[misc]
        self.stop_direction = stop_direction  # type: ignore[misc]
        self.stop_trigger_price = stop_trigger_price  # type: ignore[misc]


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


@dataclass(frozen=True, slots=True, init=False)
class CreateOutcome:
    """Result of `create_order`: accepted (with the order) or rejected (with reasons)."""

    success: bool
    order: SimOrder | None = None
    error: str = ""  # e.g. "INSUFFICIENT_FUND"
    message: str = ""
    failure_reason: str = "UNKNOWN_FAILURE_REASON"  # new_order_failure_reason
    preview_failure_reason: str = "UNKNOWN_PREVIEW_FAILURE_REASON"

    def __init__(
        self,
        success: bool,
        order: SimOrder | None = None,
        error: str = "",
        message: str = "",
        failure_reason: str = "UNKNOWN_FAILURE_REASON",
        preview_failure_reason: str = "UNKNOWN_PREVIEW_FAILURE_REASON",
    ) -> None:
        self.success = success  # type: ignore[misc]
        self.order = order  # type: ignore[misc]
        self.error = error  # type: ignore[misc]
        self.message = message  # type: ignore[misc]
        self.failure_reason = failure_reason  # type: ignore[misc]
        self.preview_failure_reason = preview_failure_reason  # type: ignore[misc]


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


@dataclass(frozen=True, slots=True, init=False)
class Balance:
    """Read-only (`core/values.py`)."""

    currency: str
    available: Decimal
    hold: Decimal

    def __init__(self, currency: str, available: Decimal, hold: Decimal) -> None:
        self.currency = currency  # type: ignore[misc]
        self.available = available  # type: ignore[misc]
        self.hold = hold  # type: ignore[misc]


@dataclass(frozen=True, slots=True, init=False)
class BookUpdate:
    """The market's own liquidity for one product (own orders are added by the engine)."""

    product_id: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    time: float
    snapshot: bool = True

    def __init__(
        self,
        product_id: str,
        bids: tuple[BookLevel, ...],
        asks: tuple[BookLevel, ...],
        time: float,
        snapshot: bool = True,
    ) -> None:
        self.product_id = product_id  # type: ignore[misc]
        self.bids = bids  # type: ignore[misc]
        self.asks = asks  # type: ignore[misc]
        self.time = time  # type: ignore[misc]
        self.snapshot = snapshot  # type: ignore[misc]


MarketEvent = Trade | BookUpdate

OrderListener = Callable[[SimOrder], None]


@dataclass(slots=True)
class VenueSetup:
    """How to build one venue: products, starting balances, fee tier, seed, and whether
    book updates fill own resting orders they reach (`fill_on_book`: the venue and PAPER;
    the backtest's bar fill model fills them by its printed trades alone, each bar's
    within `backtest.participation` of its volume)."""

    balances: dict[str, Decimal] = field(default_factory=lambda: {"USD": Decimal("100000")})
    fees: FeeRates = field(
        default_factory=lambda: FeeRates(maker=Decimal("0.004"), taker=Decimal("0.006"))
    )
    seed: int = 7
    fill_on_book: bool = True


write_once(Balance, OrderSpec, CreateOutcome, BookUpdate)
