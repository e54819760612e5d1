"""One product's book: the market's levels (from BookUpdate events) plus own resting orders.

Prices on each side are kept in an ascending list (bisect insert/remove) beside a dict of
sizes, so best-price access and best-first iteration never scan all orders. Own orders are
indexed per price level in time order (price-time priority). SIM-1.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Final

from trader.core.types import BookLevel, Quote, Side
from trader.matching.types import SimOrder

ZERO: Final = Decimal(0)


class Levels:
    """Market liquidity on one side: price → size. `bids` iterate high→low, asks low→high."""

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.prices: list[Decimal] = []
        self.sizes: dict[Decimal, Decimal] = {}

    def set(self, price: Decimal, size: Decimal) -> None:
        """Absolute size at `price`; 0 removes the level (level2 semantics)."""
        present = price in self.sizes
        if size <= ZERO:
            if present:
                del self.sizes[price]
                del self.prices[bisect_left(self.prices, price)]
            return
        self.sizes[price] = size
        if not present:
            insort(self.prices, price)

    def replace(self, levels: Iterable[BookLevel]) -> None:
        self.sizes = {lvl.price: lvl.size for lvl in levels if lvl.size > ZERO}
        self.prices = sorted(self.sizes)

    def size_at(self, price: Decimal) -> Decimal:
        return self.sizes.get(price, ZERO)

    def best(self) -> Decimal | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def best_first(self) -> Iterator[Decimal]:
        return reversed(self.prices) if self.is_bid else iter(self.prices)


class OwnLevels:
    """Own resting orders on one side, per price level in time order."""

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.prices: list[Decimal] = []
        self.orders: dict[Decimal, list[SimOrder]] = {}

    def add(self, price: Decimal, order: SimOrder) -> None:
        queue = self.orders.get(price)
        if queue is None:
            self.orders[price] = [order]
            insort(self.prices, price)
        else:
            queue.append(order)

    def remove(self, price: Decimal, order: SimOrder) -> None:
        queue = self.orders[price]
        queue.remove(order)
        if not queue:
            del self.orders[price]
            del self.prices[bisect_left(self.prices, price)]

    def size_at(self, price: Decimal) -> Decimal:
        return sum((o.leaves_size for o in self.orders.get(price, ())), ZERO)

    def best(self) -> Decimal | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def best_first(self) -> Iterator[Decimal]:
        return reversed(list(self.prices)) if self.is_bid else iter(list(self.prices))


class ProductBook:
    """Market levels and own resting orders of one product."""

    def __init__(self) -> None:
        self.market_bids = Levels(is_bid=True)
        self.market_asks = Levels(is_bid=False)
        self.own_bids = OwnLevels(is_bid=True)
        self.own_asks = OwnLevels(is_bid=False)
        self.time = 0.0

    def market(self, side: Side) -> Levels:
        """The market levels an order of `side` rests on (BUY → bids)."""
        return self.market_bids if side is Side.BUY else self.market_asks

    def own(self, side: Side) -> OwnLevels:
        return self.own_bids if side is Side.BUY else self.own_asks

    def best(self, side: Side) -> Decimal | None:
        """Best aggregated price on the side an order of `side` rests on."""
        candidates = [p for p in (self.market(side).best(), self.own(side).best()) if p is not None]
        if not candidates:
            return None
        return max(candidates) if side is Side.BUY else min(candidates)

    def aggregated(self, side: Side, depth: int) -> list[BookLevel]:
        """Top `depth` levels of market plus own size on one side, best first."""
        market, own = self.market(side), self.own(side)
        merged: dict[Decimal, Decimal] = {}
        for source in (market.best_first(), own.best_first()):
            for count, price in enumerate(source):
                if count >= depth:
                    break
                merged[price] = merged.get(price, ZERO)
        for price in merged:
            merged[price] = market.size_at(price) + own.size_at(price)
        ordered = sorted(merged, reverse=side is Side.BUY)[:depth]
        return [BookLevel(p, merged[p]) for p in ordered if merged[p] > 0]

    def quote(self, product_id: str) -> Quote | None:
        """Best bid and ask with their aggregated sizes (None when a side is empty)."""
        bid, ask = self.best(Side.BUY), self.best(Side.SELL)
        if bid is None or ask is None:
            return None
        bid_size = self.market_bids.size_at(bid) + self.own_bids.size_at(bid)
        ask_size = self.market_asks.size_at(ask) + self.own_asks.size_at(ask)
        return Quote(product_id, bid, bid_size, ask, ask_size, self.time)
