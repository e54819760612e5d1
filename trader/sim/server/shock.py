"""Price-shock fault (SIM-1): scale the market source's prices by the shock factor.

The source knows nothing about shocks, so the venue keeps a mirror of the source's own
(unscaled) book per product. While a product's factor is 1, events pass through untouched.
Once shocked, trades are scaled onto the price grid and every book change is replaced by a
scaled snapshot of the mirror (scaling can merge levels, so incremental updates could not
be translated one to one). A factor change emits such a snapshot at once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from trader.core.types import BookLevel, Trade
from trader.matching.types import BookUpdate, MarketEvent
from trader.sim.contract import Engine
from trader.sim.server.faults import FaultController

ONE = Decimal(1)
SNAPSHOT_DEPTH = 1000
Mirror = tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]


class PriceShocker:
    def __init__(self, faults: FaultController, engine: Engine) -> None:
        self.faults = faults
        self.engine = engine
        self.mirrors: dict[str, Mirror] = {}
        self.applied: dict[str, Decimal] = {}
        self.last_time: dict[str, float] = {}

    def transform(self, events: list[MarketEvent]) -> list[MarketEvent]:
        """Events as the engine should see them under the current shocks."""
        out: list[MarketEvent] = []
        for event in events:
            factor = self.faults.price_factor(event.product_id)
            if isinstance(event, BookUpdate):
                self._mirror(event)
                self.last_time[event.product_id] = event.time
                out.append(event if factor == ONE else self._snapshot(event.product_id, factor))
            else:
                out.append(event if factor == ONE else self._trade(event, factor))
        return out

    def factor_changes(self, now: float) -> list[MarketEvent]:
        """Scaled snapshots for products whose shock factor changed since the last call."""
        out: list[MarketEvent] = []
        for rules in self.engine.products():
            product_id = rules.product_id
            factor = self.faults.price_factor(product_id)
            if self.applied.get(product_id, ONE) != factor and product_id in self.mirrors:
                self.last_time[product_id] = now
                out.append(self._snapshot(product_id, factor))
            self.applied[product_id] = factor
        return out

    def _mirror(self, update: BookUpdate) -> None:
        mirror = self.mirrors.get(update.product_id)
        if mirror is None or update.snapshot:
            mirror = self.mirrors[update.product_id] = ({}, {})
        for side, levels in zip(mirror, (update.bids, update.asks), strict=True):
            for level in levels:
                if level.size > 0:
                    side[level.price] = level.size
                else:
                    side.pop(level.price, None)

    def _scale(self, product_id: str, price: Decimal, factor: Decimal) -> Decimal:
        rules = self.engine.product(product_id)
        increment = rules.quote_increment if rules is not None else Decimal("0.01")
        scaled = (price * factor / increment).to_integral_value(ROUND_HALF_EVEN) * increment
        return max(scaled, increment)

    def _trade(self, trade: Trade, factor: Decimal) -> Trade:
        return Trade(
            product_id=trade.product_id,
            trade_id=trade.trade_id,
            price=self._scale(trade.product_id, trade.price, factor),
            size=trade.size,
            side=trade.side,
            time=trade.time,
        )

    def _snapshot(self, product_id: str, factor: Decimal) -> BookUpdate:
        bids, asks = self.mirrors.get(product_id, ({}, {}))
        return BookUpdate(
            product_id=product_id,
            bids=self._scaled_side(product_id, bids, factor, reverse=True),
            asks=self._scaled_side(product_id, asks, factor, reverse=False),
            time=self.last_time.get(product_id, 0.0),
            snapshot=True,
        )

    def _scaled_side(
        self, product_id: str, side: dict[Decimal, Decimal], factor: Decimal, *, reverse: bool
    ) -> tuple[BookLevel, ...]:
        merged: dict[Decimal, Decimal] = {}
        for price in sorted(side, reverse=reverse)[:SNAPSHOT_DEPTH]:
            scaled = self._scale(product_id, price, factor)
            merged[scaled] = merged.get(scaled, Decimal(0)) + side[price]
        return tuple(BookLevel(p, s) for p, s in merged.items())
