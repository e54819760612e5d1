"""Latest best bid/ask per product (EX-2) with its local receipt time (freshness).

`apply` is the hot path: it keeps the newest ticker event as is; the `Quote` object is
built only when someone reads it (one read per decision cycle, thousands of updates).
"""

from __future__ import annotations

from decimal import Decimal

from trader.core.types import Quote
from trader.exchange.models import TickerEvent


class QuoteBook:
    __slots__ = ("_latest", "_price", "_received")

    def __init__(self) -> None:
        self._latest: dict[str, TickerEvent | Quote] = {}
        self._received: dict[str, float] = {}
        self._price: dict[str, Decimal] = {}

    def apply(self, event: TickerEvent, received_at: float) -> None:
        product_id = event.product_id
        self._latest[product_id] = event
        self._received[product_id] = received_at

    def set(self, quote: Quote, received_at: float) -> None:
        """A quote from REST (fallback polling)."""
        self._latest[quote.product_id] = quote
        self._received[quote.product_id] = received_at

    def drop(self, product_id: str) -> None:
        """Forget the product's quote (its touch can no longer be believed)."""
        self._latest.pop(product_id, None)
        self._received.pop(product_id, None)
        self._price.pop(product_id, None)

    def get(self, product_id: str) -> Quote | None:
        latest = self._latest.get(product_id)
        if latest is None or isinstance(latest, Quote):
            return latest
        quote = latest.to_quote()
        self._latest[product_id] = quote
        self._price[product_id] = latest.price
        return quote

    def last_price(self, product_id: str) -> Decimal | None:
        """Last trade price from the newest ticker (None before any ticker)."""
        latest = self._latest.get(product_id)
        if isinstance(latest, TickerEvent):
            return latest.price
        return self._price.get(product_id)

    def received_at(self, product_id: str) -> float | None:
        return self._received.get(product_id)

    def products(self) -> list[str]:
        return sorted(self._latest)
