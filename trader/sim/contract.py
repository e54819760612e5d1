"""The seam between the simulated venue's pure parts and its protocol server.

`trader.sim.market` (market data sources, candle history) and the matching engine
(`trader.matching`: balances, holds, fees, ledger; its types in `trader.matching.types`)
are pure, in-memory and deterministic: they never read a clock or touch a socket; every
call takes `now` (UTC epoch seconds). `trader.sim.server` speaks the Coinbase Advanced
Trade wire protocol (REST, WebSocket, JWT) on loopback and drives them. The types below
are what crosses that seam beyond the engine's own.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from trader.core.types import BookLevel, Candle, FeeRates, ProductRules, Quote, Trade
from trader.matching.types import (
    Balance,
    CancelOutcome,
    CreateOutcome,
    EditOutcome,
    EditPreview,
    MarketEvent,
    NewOrder,
    OrderListener,
    PreviewOutcome,
    SimFill,
    SimOrder,
)

MARKETS = ("synthetic", "coinbase-minute", "binance-5m", "ws-capture")  # `sim.market` choices


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


class Engine(Protocol):
    """The matching engine seen by the protocol server."""

    def product(self, product_id: str) -> ProductRules | None: ...

    def products(self) -> list[ProductRules]: ...

    def set_product_flags(self, product_id: str, **flags: Any) -> None:
        """Fault injection: flip `trading_disabled`, `cancel_only`, `limit_only`, `status`."""
        ...

    def replace_product(self, rules: ProductRules) -> None:
        """Fault injection: new increments or size limits for a listed product."""
        ...

    def set_listed(self, product_id: str, listed: bool) -> list[str]:
        """Fault injection: delist the product (its working orders cancelled, returned) or
        list it again."""
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
