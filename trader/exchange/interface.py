"""The one exchange interface the decision core and the execution engine depend on (EX-1..4).

`CoinbaseExchange` (trader.exchange.coinbase.exchange) implements it against Coinbase
Advanced Trade or the simulated venue. Every money field is Decimal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from trader.core.orders import OrderRequest
from trader.core.types import Candle, FeeRates, ProductRules, Quote
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


class Exchange(Protocol):
    """Read market data and accounts; place, preview, cancel and query own orders; stream.

    `create_order*` never raise for the outcome of the request: they return exactly one of
    `OrderAccepted`, `OrderRejected`, `OrderUnknown` and never retry POST /orders. A
    read-only adapter raises `ReadOnlyError` from every order endpoint before any I/O.
    """

    read_only: bool

    async def products(self, product_ids: Sequence[str] = ()) -> list[ProductRules]: ...

    async def product(self, product_id: str) -> ProductRules: ...

    async def candles(self, product_id: str, start: int, end: int) -> list[Candle]:
        """Closed and forming 1-minute candles in [start, end), oldest first, paged."""
        ...

    async def best_bid_ask(self, product_ids: Sequence[str]) -> dict[str, Quote]: ...

    async def accounts(self) -> list[Account]: ...

    async def fee_rates(self) -> FeeRates: ...

    async def server_time(self) -> ServerTime: ...

    def serialize_order(self, request: OrderRequest) -> bytes: ...

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

    def market_stream(
        self, product_ids: Sequence[str], *, level2: bool = False
    ) -> AsyncIterator[MarketEvent]:
        """Ticker, trades (and book) events plus `StreamStatus`; reconnects forever."""
        ...

    def user_stream(self) -> AsyncIterator[UserEvent]:
        """Own-order events plus `StreamStatus`; reconnects forever."""
        ...

    async def close(self) -> None: ...
