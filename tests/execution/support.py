"""An execution stack (store, engine, tracker, cancel-all, reconciler) over the real adapter
talking to an in-process simulated venue on loopback. Nothing is mocked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tests.exchange.support import adapter
from trader.core.clock import Clock, wall_clock
from trader.core.orders import OrderKind
from trader.core.types import Side
from trader.exchange.coinbase.exchange import CoinbaseExchange
from trader.execution.cancel import CancelAll
from trader.execution.drafts import OrderDraft
from trader.execution.engine import ExecutionEngine
from trader.execution.ids import OrderIds, installation_namespace
from trader.execution.intents import Purpose
from trader.execution.metrics import ExecutionMetrics
from trader.execution.reconcile import Reconciler
from trader.execution.tracker import OrderTracker
from trader.ops.metrics import Metrics
from trader.sim.venue import SimConfig, SimVenue
from trader.state.db import Database

ORDERS_PATH = "/api/v3/brokerage/orders"


@dataclass
class Stack:
    venue: SimVenue
    exchange: CoinbaseExchange
    db: Database
    ids: OrderIds
    engine: ExecutionEngine
    tracker: OrderTracker
    cancel_all: CancelAll
    reconciler: Reconciler
    metrics: Metrics

    def ledger_client_ids(self) -> list[str]:
        return [o.client_order_id for o in self.venue.engine.orders()]

    def venue_open_own(self) -> list[str]:
        return [
            o.order_id
            for o in self.venue.engine.orders()
            if o.status.value == "OPEN" and self.ids.is_own(o.client_order_id)
        ]


def quiet_venue(**overrides: object) -> SimConfig:
    settings: dict[str, object] = {
        "seed": 11,
        "products": 3,
        "trades_per_minute": 0.001,
        "rate_limit_private": None,
        "rate_limit_public": None,
    }
    settings.update(overrides)
    return SimConfig(**settings)  # type: ignore[arg-type]


@asynccontextmanager
async def execution_stack(
    tmp: Path, venue: SimVenue | None = None, allow_send: bool = True, clock: Clock = wall_clock
) -> AsyncIterator[Stack]:
    """`clock`: the daemon's wall clock (a test may step it; the venue keeps the true time)."""
    own_venue = venue is None
    venue = venue or SimVenue(quiet_venue(), clock=wall_clock)
    if own_venue:
        await venue.start()
    db = await Database.open(tmp / "exec.db", clock)
    metrics = Metrics()
    try:
        async with adapter(venue, metrics=metrics, request_timeout_s=1.0) as exchange:
            ids = OrderIds(await db.run(installation_namespace))
            exec_metrics = ExecutionMetrics(metrics)
            engine = ExecutionEngine(
                db,
                exchange,
                ids,
                exec_metrics,
                mode="LIVE",
                send_gate=lambda purpose: None if allow_send else "halted",
                clock=clock,
                resend_after_s=0.05,
                resend_max_backoff_s=0.2,
                absence_proof_s=0.3,
            )
            tracker = OrderTracker(db, exchange, ids, exec_metrics, clock)
            engine.order_found.append(tracker.on_order)
            cancel = CancelAll(
                db,
                exchange,
                ids,
                tracker,
                exec_metrics,
                engine.resolve_pending,
                clock=clock,
                retry_s=0.02,
            )
            reconciler = Reconciler(
                db,
                exchange,
                ids,
                engine,
                tracker,
                tolerance=Decimal(0),
                quote_currencies=frozenset({"USD"}),
                clock=clock,
            )
            yield Stack(venue, exchange, db, ids, engine, tracker, cancel, reconciler, metrics)
    finally:
        await db.close()
        if own_venue:
            await venue.stop()


def resting_buy(
    venue: SimVenue,
    product_id: str = "BTC-USD",
    size: str = "0.001",
    below: Decimal = Decimal("0.9"),
) -> OrderDraft:
    """A post-only BUY well below the market: it rests and never fills in a quiet market."""
    quote = venue.engine.quote(product_id)
    assert quote is not None
    rules = venue.engine.product(product_id)
    assert rules is not None
    price = (quote.bid * below / rules.quote_increment).to_integral_value() * rules.quote_increment
    return OrderDraft(
        product_id=product_id,
        side=Side.BUY,
        kind=OrderKind.LIMIT_GTC,
        purpose=Purpose.ENTRY,
        base_size=Decimal(size),
        limit_price=price,
        post_only=True,
    )


def marketable_buy(venue: SimVenue, product_id: str = "BTC-USD", size: str = "0.001") -> OrderDraft:
    """An IOC BUY priced through the ask: it takes liquidity at once."""
    quote = venue.engine.quote(product_id)
    assert quote is not None
    rules = venue.engine.product(product_id)
    assert rules is not None
    price = (
        quote.ask * Decimal("1.01") / rules.quote_increment
    ).to_integral_value() * rules.quote_increment
    return OrderDraft(
        product_id=product_id,
        side=Side.BUY,
        kind=OrderKind.SOR_LIMIT_IOC,
        purpose=Purpose.ENTRY,
        base_size=Decimal(size),
        limit_price=price,
    )
