"""The daemon's execution side (X-1..6, OPS-4): engine, tracker, cancel-all, reconciler,
order manager, and the tasks that keep them moving — user stream, unknown-outcome
resolution, TTL timers, periodic reconciliation. PAPER runs the very same stack over the
paper exchange, with its state in its own database file.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Final

import structlog

from trader.config.app import ExecutionConfig
from trader.config.policy import PolicyConfig
from trader.core.clock import Clock
from trader.core.types import Mode, ProductRules, Quote, TradingState
from trader.desk.cooldowns import CooldownRecorder
from trader.desk.exit_retry import ExitRetry
from trader.desk.keeper import StateKeeper
from trader.desk.missing_fills import MissingFills
from trader.exchange.interface import Exchange
from trader.exchange.metrics import adapter_metrics
from trader.exchange.models import OrderEvent, StreamStatus
from trader.exchange.order_feed import OrderFeed
from trader.execution.booking import VENUE_DATA_ERROR, Contradiction
from trader.execution.cancel import CancelAll
from trader.execution.engine import ExecutionEngine
from trader.execution.ids import OrderIds, installation_namespace
from trader.execution.intents import Purpose
from trader.execution.manager import ExecutionPolicy, OrderManager
from trader.execution.metrics import ExecutionMetrics
from trader.execution.order_watch import SilentOrderWatch
from trader.execution.reconcile import Reconciler, ReconcileReport
from trader.execution.tracker import OrderTracker
from trader.ops.metrics import Metrics
from trader.state.db import Database

log = structlog.get_logger("trader.execution")

RECONCILE_MISMATCH: Final = "reconcile_mismatch"
GATE_RETRY_S: Final = 5.0


def send_gate(
    keeper: StateKeeper, reconciled: Callable[[], bool] = lambda: True
) -> Callable[[Purpose], str | None]:
    """Checked right before an intent is committed as SUBMITTING (X-1, X-5, OPS-4). Nothing
    is sent before a reconciliation has passed; HALTED sends nothing but the kill switch's
    own flatten; REDUCING sends exits only."""

    def gate(purpose: Purpose) -> str | None:
        if not reconciled():
            return "not reconciled with the venue yet"
        state = keeper.state
        if state is TradingState.HALTED and purpose is not Purpose.FLATTEN:
            return f"halted ({keeper.status.halt_reason})"
        if state is TradingState.REDUCING and purpose in (Purpose.ENTRY, Purpose.REPRICE):
            return "reducing: exits only"
        return None

    return gate


class OrderDesk:
    """Everything that sends, tracks and cancels orders for one daemon."""

    def __init__(
        self,
        db: Database,
        exchange: Exchange,
        metrics: Metrics,
        keeper: StateKeeper,
        ids: OrderIds,
        config: ExecutionConfig,
        mode: str,
        quote: Callable[[str], Quote | None],
        rules: Callable[[str], ProductRules | None],
        *,
        clock: Clock,
        timer: Clock = time.monotonic,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        base_currencies: frozenset[str] = frozenset(),
        quote_currencies: frozenset[str] = frozenset(),
        venue_clock: Callable[[], float] | None = None,
    ) -> None:
        """`clock` and `new_id` are the backtest's simulated clock and counted intent ids;
        the daemon keeps the wall clock and random ids. `timer` measures the waits (resend
        backoff, absence window, exit backoff, missing fills): the daemon's is monotonic, so
        a wall clock step moves none of them; the backtest's is its clock. `base_currencies`
        of the traded products: a fresh state's first reconcile checks them (ST-3); their
        `quote_currencies`: a balance listing without one is not compared (R-5)."""
        self.db = db
        self.clock = clock
        self.exchange = exchange
        self.keeper = keeper
        self.config = config
        self.metrics = metrics.shared(ExecutionMetrics)
        # the start gate; nothing is sent until a reconcile passes (DRY_RUN sends
        # nothing and holds nothing at the venue: it records at the gate from the start)
        self.reconciled = mode == Mode.DRY_RUN.value
        self.engine = ExecutionEngine(
            db,
            exchange,
            ids,
            self.metrics,
            mode=mode,
            send_gate=send_gate(keeper, lambda: self.reconciled),
            clock=clock,
            timer=timer,
            new_id=new_id,
            absence_proof_s=config.absence_proof_s,
        )
        self.tracker = OrderTracker(db, exchange, ids, self.metrics, clock)
        self.tracker.venue_errors.append(self._venue_data_error)
        self._venue_data_errors = adapter_metrics(metrics).venue_data_errors
        self.engine.order_found.append(self.tracker.on_order)
        self.cancel = CancelAll(
            db, exchange, ids, self.tracker, self.metrics, self.engine.resolve_pending, clock=clock
        )
        self.reconciler = Reconciler(
            db,
            exchange,
            ids,
            self.engine,
            self.tracker,
            tolerance=Decimal(str(config.reconcile_tolerance)),
            base_currencies=base_currencies,
            quote_currencies=quote_currencies,
            clock=clock,
        )
        self.manager = OrderManager(
            self.engine,
            quote,
            rules,
            ExecutionPolicy(
                entry_ttl_s=config.entry_ttl_s,
                max_reprices=config.max_reprices,
                taker_fallback=config.taker_fallback,
                taker_slippage_bps=Decimal(str(config.taker_slippage_bps)),
                exit_slippage_bps=Decimal(str(config.exit_slippage_bps)),
            ),
            self._cancel_one,
            self.tracker.refresh_order,
            clock=clock,
            venue_clock=venue_clock,
        )
        self.exit_retry = ExitRetry(keeper, self.metrics, timer, db)  # refused exits back off
        self.tracker.fill_listeners.append(self.exit_retry.on_fills)
        self.missing_fills = MissingFills(
            db, keeper, self.metrics, timer, config.fills_missing_after_s
        )
        self._feed: OrderFeed | None = None
        self.order_watch = SilentOrderWatch(
            db, exchange, self.tracker, metrics, config.user_channel_silence_s, self._reconnect
        )
        self.last_report: ReconcileReport | None = None
        self.adoption_required: str | None = None
        self.cooldowns: CooldownRecorder | None = None

    def record_cooldowns(self, policy: PolicyConfig) -> None:
        """R-3: fills feed the persisted cooldowns and the consecutive-loss counter."""
        self.cooldowns = CooldownRecorder(self.db, policy, self.clock)
        self.tracker.fill_listeners.append(self.cooldowns.on_fills)

    def set_policy(self, policy: PolicyConfig) -> None:
        if self.cooldowns is not None:
            self.cooldowns.policy = policy

    @classmethod
    async def create(
        cls,
        db: Database,
        exchange: Exchange,
        metrics: Metrics,
        keeper: StateKeeper,
        config: ExecutionConfig,
        mode: str,
        quote: Callable[[str], Quote | None],
        products: dict[str, ProductRules],
        *,
        clock: Clock,
        timer: Clock = time.monotonic,
        venue_clock: Callable[[], float] | None = None,
    ) -> OrderDesk:
        ids = OrderIds(await db.run(installation_namespace))
        bases = frozenset(r.base_currency for r in products.values())
        return cls(
            db,
            exchange,
            metrics,
            keeper,
            ids,
            config,
            mode,
            quote,
            products.get,
            clock=clock,
            timer=timer,
            base_currencies=bases,
            quote_currencies=frozenset(r.quote_currency for r in products.values()),
            venue_clock=venue_clock,
        )

    async def _venue_data_error(self, contradiction: Contradiction) -> None:
        """A fill contradicting its own order: the ledger cannot take it (X-4), so trading
        halts until the operator has looked (the fill itself stays out of `fills`)."""
        self._venue_data_errors.labels(kind="fill_contradicts_order").inc()
        await self.keeper.halt(VENUE_DATA_ERROR, contradiction.detail()[:500])

    async def _cancel_one(self, order_id: str) -> object:
        return await self.exchange.cancel_orders([order_id])

    async def reconcile(self, *, startup: bool) -> ReconcileReport:
        """X-5: a mismatch halts; the start gate opens only on a clean report."""
        report = await self.reconciler.run(startup=startup)
        self.last_report = report
        await self.missing_fills.observe(self.reconciler.short)
        if report.adoption_required is not None:
            self.adoption_required = report.adoption_required
        if report.mismatches:
            for _ in report.mismatches:
                self.metrics.reconcile_mismatches.labels(kind="balance").inc()
            await self.keeper.halt(RECONCILE_MISMATCH, "; ".join(report.mismatches)[:500])
            log.critical("reconcile_mismatch", mismatches=report.mismatches)
        self.reconciled = report.ok or self.reconciled
        return report

    async def follow_user_stream(self) -> None:
        """Own-order updates into the tracker: the user channel, and open orders polled over
        REST while it is down (EX-2); the stream reconnects by itself."""
        async with OrderFeed(self.exchange) as feed:
            self._feed = feed
            async for event in feed.events():
                if isinstance(event, OrderEvent):
                    if event.source == "ws":
                        self.order_watch.heard(event.order_id)
                    await self.tracker.on_order_event(event)
                elif isinstance(event, StreamStatus):
                    self.order_watch.stream_state(event.state)
                    log.info("user_stream", state=event.state, reason=event.reason)

    def _reconnect(self) -> None:
        if self._feed is not None:
            self._feed.reconnect()

    async def keep_resolving(self, interval_s: float = 0.5) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self.engine.resolve_pending()
            await self.manager.tick()

    async def keep_reconciling(self) -> None:
        """Every `reconcile_interval_s`; until the start gate has passed, every few seconds."""
        while True:
            wait = self.config.reconcile_interval_s if self.reconciled else GATE_RETRY_S
            await asyncio.sleep(wait)
            await self.reconcile(startup=not self.reconciled)  # the start-up one until it passes

    async def cancel_all(self, reason: str, *, list_limit_s: float | None = None) -> int:
        return await self.cancel.run(reason, list_limit_s=list_limit_s)
