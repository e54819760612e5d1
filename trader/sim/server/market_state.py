"""What the venue remembers of the market it served (SIM-1): recent trades and last prices.

Filled by the driver from the market source's trades; read by `products/{id}/ticker`,
product prices and the WS `market_trades` snapshot.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from trader.core.types import Trade

RECENT_TRADES = 1000


@dataclass(slots=True)
class MarketState:
    recent: dict[str, deque[Trade]] = field(default_factory=dict)
    last_price: dict[str, Decimal] = field(default_factory=dict)

    def record(self, trade: Trade) -> None:
        trades = self.recent.get(trade.product_id)
        if trades is None:
            trades = self.recent[trade.product_id] = deque(maxlen=RECENT_TRADES)
        trades.append(trade)
        self.last_price[trade.product_id] = trade.price

    def trades(
        self, product_id: str, limit: int, start: float | None = None, end: float | None = None
    ) -> list[Trade]:
        """Newest first, at most `limit`, optionally within [start, end]."""
        out: list[Trade] = []
        for trade in reversed(self.recent.get(product_id, ())):
            if end is not None and trade.time > end:
                continue
            if start is not None and trade.time < start:
                break
            out.append(trade)
            if len(out) >= limit:
                break
        return out
