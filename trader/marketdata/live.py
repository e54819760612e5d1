"""In-memory live market state fed by stream events (EX-2, S-1, PERF-2).

`LiveMarket.apply(event, now)` is the ingest hot path shared by the market-data service
and `scripts/bench_ingest.py`: ticker → `QuoteBook`, trades → per-product `CandleBuilder`
(oldest first; duplicates and late prints counted, never applied twice), level2 → a
simple price→size book per side. Only the products it was built for are applied: anything
for another product (the stream never subscribed it) is counted in `unknown_products`, its
first `MAX_UNKNOWN_NAMED` product ids kept in `unknown_ids` for the service to name.
A crossed or locked touch (best bid at or above best ask: no market can be there) is venue
data refused: a ticker saying so is not applied and the product's quote is dropped (no
decision is made on the touch before it; `quote` answers None until a sound ticker
arrives), a level2 event that leaves the book crossed drops that book until the next
snapshot. Each is counted in `crossed` and the product kept in `crossed_now` while its
touch stays crossed, for the service to count and name once per episode.
Closing candles and REST repairs are driven by the service's timer (`close_due`), never by
this path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from trader.core.types import Candle
from trader.exchange.models import BookEvent, MarketTrade, TickerEvent, TradesEvent
from trader.marketdata.builder import CandleBuilder
from trader.marketdata.candles import CandleStore
from trader.marketdata.quotes import QuoteBook

BookSide = dict[Decimal, Decimal]
MAX_UNKNOWN_NAMED = 100  # product ids remembered for the log; beyond them only counted


class LiveMarket:
    """Quotes, candle builders, the closed-candle store and optional books."""

    def __init__(
        self, product_ids: Iterable[str], start: float, *, history: int = 1500, grace_s: float = 2.0
    ) -> None:
        self.product_ids = list(dict.fromkeys(product_ids))
        self.quotes = QuoteBook()
        self.store = CandleStore(history)
        self.builders = {p: CandleBuilder(p, int(start), grace_s=grace_s) for p in self.product_ids}
        self.books: dict[str, tuple[BookSide, BookSide]] = {}
        self.unknown_products = 0
        self.unknown_ids: set[str] = set()
        self.live_products: set[str] = set()
        self.crossed: dict[str, int] = {}  # product -> crossed touches refused, not yet counted
        self.crossed_now: set[str] = set()  # products whose last touch was crossed

    def apply(self, event: object, now: float) -> None:
        """Apply one stream event (the PERF-2 hot path: no per-event allocation)."""
        kind = type(event)
        if kind is TickerEvent:
            self.apply_ticker(event, now)  # type: ignore[arg-type]
        elif kind is TradesEvent:
            self.apply_trades(event.trades, now)  # type: ignore[attr-defined]
        elif kind is BookEvent:
            self.apply_book(event)  # type: ignore[arg-type]

    def apply_ticker(self, event: TickerEvent, now: float) -> None:
        if event.product_id not in self.builders:
            self._unknown(event.product_id)
            return
        if event.bid >= event.ask:
            self._refuse_crossed(event.product_id)
            self.quotes.drop(event.product_id)
            self.live_products.discard(event.product_id)
            return
        self.quotes.apply(event, now)
        self.live_products.add(event.product_id)
        if self.crossed_now:
            self.crossed_now.discard(event.product_id)

    def _refuse_crossed(self, product_id: str) -> None:
        self.crossed[product_id] = self.crossed.get(product_id, 0) + 1
        self.crossed_now.add(product_id)

    def _unknown(self, product_id: str) -> None:
        self.unknown_products += 1
        if len(self.unknown_ids) < MAX_UNKNOWN_NAMED:
            self.unknown_ids.add(product_id)

    def apply_trades(self, trades: Sequence[MarketTrade], now: float) -> None:
        """Trades arrive newest first within a frame; apply them oldest first."""
        builders = self.builders
        product_id: str | None = None
        builder: CandleBuilder | None = None
        for trade in reversed(trades):
            if trade.product_id != product_id:  # frames are mostly one product
                product_id = trade.product_id
                builder = builders.get(product_id)
            if builder is None:
                self._unknown(trade.product_id)
                continue
            builder.add(trade, now)

    def apply_book(self, event: BookEvent) -> None:
        if event.product_id not in self.builders:
            self._unknown(event.product_id)
            return
        sides = self.books.get(event.product_id)
        if sides is None or event.snapshot:
            sides = self.books[event.product_id] = ({}, {})
        bids, asks = sides
        for side, price, size in event.updates:
            levels = bids if side == "bid" else asks
            if size == 0:
                levels.pop(price, None)
            else:
                levels[price] = size
        if bids and asks and max(bids) >= min(asks):
            del self.books[event.product_id]  # wait for the next snapshot
            self._refuse_crossed(event.product_id)

    def taint(self, start: float, end: float) -> None:
        """The trade stream was partial in [start, end] for every product."""
        for builder in self.builders.values():
            builder.taint(start, end)

    def close_due(self, now: float) -> list[Candle]:
        """Close due minutes of every product and store them; returns what was stored."""
        stored: list[Candle] = []
        for builder in self.builders.values():
            for candle in builder.close_due(now):
                if self.store.add(candle):
                    stored.append(candle)
        return stored

    def store_all(self, candles: Iterable[Candle]) -> int:
        return sum(1 for candle in candles if self.store.add(candle))
