"""The backtest's market: recorded bars turned into what the daemon sees live (BT-1).

`BacktestMarket` plays the market-data service's part for the snapshot builder (the data's
closed bars in the daemon's own `CandleStore`, the touch, data age). `BacktestVenue`
is the market side of the `Exchange` interface for the paper exchange, which fills the
orders exactly as in PAPER. What happens inside a bar is the fill model's (`fills.py`);
`ticker` turns its touch into the event the paper exchange consumes from the feed.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from trader.core.types import Candle, ProductRules, Quote
from trader.exchange.errors import ExchangeError
from trader.exchange.models import (
    MarketEvent,
    ServerTime,
    TickerEvent,
)
from trader.marketdata.candles import CandleStore

CANDLE_S: Final = 60


class BacktestMarket:
    """Quotes and closed candles at the backtest's clock (`MarketFeed` for `build_market`)."""

    def __init__(self, history: int, bar_seconds: int = CANDLE_S) -> None:
        self.bar_seconds = bar_seconds
        self.candles = CandleStore(history, intern_prices=False)  # a few bars per product
        self._quotes: dict[str, Quote] = {}
        self._updated: dict[str, float] = {}

    def set_quote(self, quote: Quote) -> None:
        self._quotes[quote.product_id] = quote
        self._updated[quote.product_id] = quote.time

    def quote(self, product_id: str) -> Quote | None:
        return self._quotes.get(product_id)

    def add_candle(self, candle: Candle) -> None:
        self.candles.add(candle)
        self._updated[candle.product_id] = max(
            self._updated.get(candle.product_id, 0.0), float(candle.start + self.bar_seconds)
        )

    def closed_candles(self, product_id: str, until: float | None = None) -> Sequence[Candle]:
        return self.candles.closed_candles(product_id, until)

    def data_age(self, product_id: str, now: float | None = None) -> float:
        updated = self._updated.get(product_id)
        if updated is None or now is None:
            return math.inf
        return max(0.0, now - updated)


def ticker(quote: Quote, price: Decimal | None = None) -> TickerEvent:
    """The `ticker` event the feed would carry for this touch (last price: `price`, else
    the mid)."""
    last = quote.mid if price is None else price
    return TickerEvent(
        quote.product_id, last, quote.bid, quote.bid_size, quote.ask, quote.ask_size, quote.time
    )


class BacktestVenue:
    """`MarketData` over the backtest's data, at its clock; orders, balances and fees are
    the paper exchange's, which wraps it."""

    def __init__(
        self, rules: dict[str, ProductRules], market: BacktestMarket, clock: Callable[[], float]
    ) -> None:
        self._rules = rules
        self._market = market
        self._clock = clock

    async def products(self, product_ids: Sequence[str] = ()) -> list[ProductRules]:
        return [r for pid, r in self._rules.items() if not product_ids or pid in product_ids]

    async def product(self, product_id: str) -> ProductRules:
        rules = self._rules.get(product_id)
        if rules is None:
            raise ExchangeError(f"backtest: unknown product {product_id}")
        return rules

    async def candles(
        self, product_id: str, start: int, end: int, granularity_s: int = 60
    ) -> list[Candle]:
        if granularity_s != self._market.bar_seconds:
            raise ExchangeError(
                f"backtest: only the data's {self._market.bar_seconds} s bars, "
                f"not {granularity_s} s"
            )
        closed = self._market.closed_candles(product_id, self._clock())
        return [c for c in closed if start <= c.start < end]

    async def best_bid_ask(self, product_ids: Sequence[str]) -> dict[str, Quote]:
        return {p: q for p in product_ids if (q := self._market.quote(p)) is not None}

    async def server_time(self) -> ServerTime:
        now = self._clock()
        iso = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
        return ServerTime(now, iso)

    def market_stream(
        self, product_ids: Sequence[str], *, level2: bool = False
    ) -> AsyncIterator[MarketEvent]:
        raise ExchangeError("backtest: market events are pushed, not streamed")

    async def close(self) -> None:
        return None
