"""What trading needs from a venue, venue-neutral (EX-1..4), split by who needs it.

- `MarketData`: products, candles, the touch, the market stream — the market-data service,
  and the paper exchange (which wraps a market-data source and fills locally);
- `Funds`: balances and the fee tier;
- `OrderEntry`: place, preview, cancel and query own orders, and their stream — the
  execution engine, tracker, cancel-all and reconciler;
- `Exchange`: all three (a venue adapter, or the paper exchange);
- `Venue`: an adapter to a venue over the network, with its measured clock (EX-3).

`CoinbaseExchange` (trader.exchange.coinbase) is the `Venue` for Coinbase Advanced Trade and
the simulated venue, which speaks its protocol; `open_venue` (trader.exchange.factory)
chooses the adapter by `exchange.venue`. Every money field is Decimal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from trader.core.orders import OrderRequest
from trader.core.types import Candle, FeeRates, ProductRules, Quote
from trader.exchange.clock import SigningBasis
from trader.exchange.models import (
    Account,
    CancelResult,
    CreateOrderResult,
    Fill,
    MarketEvent,
    Order,
    PreviewResult,
    ServerTime,
    UserEvent,
)


class MarketData(Protocol):
    """Products, candles, the touch and the market stream."""

    async def products(self, product_ids: Sequence[str] = ()) -> list[ProductRules]: ...

    async def product(self, product_id: str) -> ProductRules: ...

    async def candles(
        self, product_id: str, start: int, end: int, granularity_s: int = 60
    ) -> list[Candle]:
        """Closed and forming candles of `granularity_s` seconds (1 minute unless told)
        in [start, end), oldest first, paged."""
        ...

    async def best_bid_ask(self, product_ids: Sequence[str]) -> dict[str, Quote]: ...

    async def server_time(self) -> ServerTime: ...

    def market_stream(
        self, product_ids: Sequence[str], *, level2: bool = False
    ) -> AsyncIterator[MarketEvent]:
        """Ticker, trades (and book) events plus `StreamStatus`; reconnects forever."""
        ...

    async def close(self) -> None: ...


class Funds(Protocol):
    """Balances and the fee tier."""

    async def accounts(self) -> list[Account]: ...

    async def fee_rates(self) -> FeeRates: ...


class OrderEntry(Protocol):
    """Place, preview, cancel and query own orders; their stream.

    `create_order*` never raise for the outcome of the request: they return exactly one of
    `OrderAccepted`, `OrderRejected`, `OrderUnknown` and never retry the create request. A
    read-only adapter raises `ReadOnlyError` from every order endpoint before any I/O.
    """

    read_only: bool

    def serialize_order(self, request: OrderRequest) -> bytes:
        """The exact bytes to persist with the intent and to send (and resend)."""
        ...

    async def create_order(self, request: OrderRequest) -> CreateOrderResult: ...

    async def create_order_raw(self, body: bytes) -> CreateOrderResult:
        """Send pre-serialized create-order bytes unchanged (X-1 resend)."""
        ...

    async def preview_order(self, request: OrderRequest) -> PreviewResult: ...

    async def cancel_orders(self, order_ids: Sequence[str]) -> list[CancelResult]: ...

    async def get_order(self, order_id: str) -> Order: ...

    async def list_orders(
        self,
        *,
        product_ids: Sequence[str] = (),
        statuses: Sequence[str] = (),
        start: float | None = None,
    ) -> list[Order]: ...

    async def fills(
        self,
        *,
        order_ids: Sequence[str] = (),
        product_ids: Sequence[str] = (),
        start: float | None = None,
    ) -> list[Fill]: ...

    def user_stream(self) -> AsyncIterator[UserEvent]:
        """Own-order events plus `StreamStatus`; reconnects forever."""
        ...


class Exchange(MarketData, Funds, OrderEntry, Protocol):
    """Everything trading needs from one venue."""


class VenueClock(Protocol):
    """The venue's clock as measured from here (EX-3)."""

    offset_s: float
    basis: SigningBasis  # the clock JWTs are signed on: with the measured offset or without

    def now(self) -> float:
        """Local wall time on the signing basis (corrected by the measured offset, unless
        the venue accepts only the local clock)."""
        ...

    def is_skewed(self) -> bool: ...

    async def measure(self) -> float: ...

    def start(self) -> None: ...


class Venue(Exchange, Protocol):
    """An adapter to a venue over the network, with its measured clock."""

    @property
    def clock(self) -> VenueClock: ...

    async def listed_since(self, product_id: str, now: float) -> float | None:
        """A lower bound of the product's listing time (U-1), None when the venue has no
        history to tell."""
        ...
