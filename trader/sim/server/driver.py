"""The venue's market driver task (SIM-1).

Every tick: `source.advance(now)` → price-shock transform → `engine.apply_market` → trades
into the candle history and the recent-trade store → `engine.expire_orders(now)` → WS
fan-out (`Hub.flush`). A delisted product's market goes on in the engine (its book is
current when it is listed again) but is published nowhere: no trades, candles or WS
frames of it. `step` is public so tests can drive a venue on a manual clock.
`seed_recent` runs once at start: the source's trades from before the start become the
venue's recent trades and last prices (served at once, like a real venue's trade history).
"""

from __future__ import annotations

import asyncio
import logging

from trader.core.types import Trade
from trader.sim.contract import MarketSource
from trader.sim.server.context import VenueContext
from trader.sim.server.shock import PriceShocker
from trader.sim.server.ws_hub import Hub

log = logging.getLogger(__name__)


class Driver:
    def __init__(
        self, ctx: VenueContext, source: MarketSource, hub: Hub, tick_s: float = 0.05
    ) -> None:
        if tick_s <= 0:
            raise ValueError("tick_s must be positive")
        self.ctx = ctx
        self.source = source
        self.hub = hub
        self.tick_s = tick_s
        self.shocker = PriceShocker(ctx.faults, ctx.engine)
        self.events_applied = 0
        self.errors = 0

    def seed_recent(self) -> int:
        """Load the source's pre-start trades (engine last price, recent-trade store; the
        candle history already holds them); returns how many."""
        count = 0
        for rules in self.ctx.engine.products():
            for trade in self.source.recent_trades(rules.product_id):
                self.ctx.engine.apply_market(trade, trade.time)
                self.ctx.market.record(trade)
                count += 1
        return count

    def step(self, now: float | None = None) -> int:
        """Advance the market to `now` (market clock by default); returns events applied."""
        now = self.ctx.clock.market_now() if now is None else now
        events = self.shocker.factor_changes(now)
        events += self.shocker.transform(self.source.advance(now))
        engine, hub = self.ctx.engine, self.hub
        for event in events:
            engine.apply_market(event, now)
            if engine.product(event.product_id) is None:  # delisted
                continue
            if isinstance(event, Trade):
                self.ctx.history.record(event)
                self.ctx.market.record(event)
                hub.on_trade(event)
            else:
                hub.on_book(event.product_id)
        engine.expire_orders(now)
        hub.flush(now)
        self.events_applied += len(events)
        return len(events)

    async def run(self) -> None:
        """Step forever on `tick_s`; a failing step is logged and counted, never hidden."""
        while True:
            try:
                self.step()
            except Exception:
                self.errors += 1
                log.exception("sim venue driver step failed (%d so far)", self.errors)
            await asyncio.sleep(self.tick_s)
