"""The trading runtime: venue link → market data → decision core → execution → state.

Start-up: measure the clock (EX-3, `clock_watch.py`), list products, read listing times,
build the order desk for PAPER/LIVE, then side by side: backfill and stream market data
(feeding closed candles to the triggers), read the fee tier, and pass the reconciliation
gate (X-5) before anything can be sent. Each cycle runs the trading cycle (`desk/cycle.py`,
the one the backtest steps too) as timed stages: inputs, the decision core's stages,
record, act; the daemon adds its log lines, the candle recording and the gauges. Exits
also run on their own timer between cycles (R-2).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

import structlog

from trader.config.loader import LoadedConfig
from trader.config.secrets import Credentials
from trader.core.clock import Clock
from trader.core.types import Candle, Mode, ProductRules, TradingState
from trader.daemon.cycle import CycleContext, Stage
from trader.daemon.trading.clock_watch import measure_at_start, watch_clock
from trader.daemon.trading.gauges import TradingMetrics
from trader.daemon.trading.opening import open_market_data, read_listing_times, side_by_side
from trader.daemon.trading.strategy_thread import StrategyThread, build_filters, build_registry
from trader.daemon.trading.venue_link import (
    choose_products,
    exchange_config,
    venue_credentials,
)
from trader.desk.act import Actor
from trader.desk.cycle import TradingCycle
from trader.desk.keeper import StateKeeper
from trader.desk.listing import DelistedProducts, delisted
from trader.desk.product_rules import RulesWatch
from trader.desk.record import log_decisions
from trader.desk.state_source import StoredState
from trader.exchange.errors import ExchangeError
from trader.exchange.factory import open_venue
from trader.exchange.interface import Venue
from trader.exchange.key_standing import KeyStanding
from trader.exchange.models import Fill
from trader.execution.paper import PaperExchange
from trader.marketdata.service import MarketDataService
from trader.ops.lifecycle import TRADING, Job, OnFailure, Supervisor
from trader.ops.metrics import Metrics
from trader.pipeline.decide import DecisionCore, DecisionStep
from trader.risk.exit_confirm import ExitWait, Outcome, waiting_fields
from trader.sim.venue import SimVenue
from trader.state.candle_log import CandleRecorder
from trader.state.db import Database
from trader.state.portfolio import position_sizes, realized_pnl
from trader.state.strategy_results import fill_results
from trader.strategies.registry import StrategyRegistry
from trader.universe.plugin import UniverseFilter

log = structlog.get_logger("trader.trading")

STEP = "step"
FEE_REFRESH_S = 86400.0


class TradingRuntime:
    def __init__(
        self,
        loaded: LoadedConfig,
        db: Database,
        metrics: Metrics,
        keeper: StateKeeper,
        adapter: Venue,
        md: MarketDataService,
        core: DecisionCore,
        rules: dict[str, ProductRules],
        listed_at: dict[str, float],
        actor: Actor,
        recorder: CandleRecorder,
        clock: Clock,
        supervisor: Supervisor,
    ) -> None:
        self.loaded = loaded
        self.db = db
        self.metrics = metrics
        self.keeper = keeper
        self.adapter = adapter
        self.md = md
        self.core = core
        self.rules = rules
        self.listed_at = listed_at
        self.actor = actor
        self.gauges = metrics.shared(TradingMetrics)
        self.recorder = recorder
        self.clock = clock
        self.supervisor = supervisor
        state = StoredState(db, keeper, actor, loaded.universe.quote_currency)
        self.cycle = TradingCycle(loaded, db, keeper, core, actor, md, rules, listed_at, state)
        self.strategies = StrategyThread(core)  # the strategies stage, off the event loop
        self._fills_landed = True  # export the stored results once at start
        actor.desk.tracker.fill_listeners.append(self._on_fills)
        core.exit_confirmation.listeners.append(self._on_exit_wait)
        # EX-4: the rules read again now and then, and when the venue refuses an order by them
        self.rules_watch = RulesWatch(
            adapter,
            rules,
            loaded.app.exchange.product_rules_interval_s,
            lambda listed: choose_products(listed, self.loaded),
        )
        actor.desk.engine.rules_refused.append(self.rules_watch.refused)
        if isinstance(actor.exchange, PaperExchange):  # the paper venue judges by them too
            self.rules_watch.changed.append(actor.exchange.engine.replace_product)
        self.delisted = DelistedProducts(metrics)  # venue listing changes (listing.py)
        self.rules_watch.changed.append(self._on_rules)

    @classmethod
    async def start(
        cls,
        loaded: LoadedConfig,
        db: Database,
        metrics: Metrics,
        keeper: StateKeeper,
        venue: SimVenue | None,
        credentials: Credentials | None,
        clock: Clock,
        supervisor: Supervisor,
        *,
        key_standing: KeyStanding | None = None,
        request_cancel: Callable[[str], None] = lambda reason: None,
    ) -> TradingRuntime:
        """`request_cancel`: the daemon's cancel-all, for the halts the runtime's own
        watchers decide (LIVE clock watch)."""
        adapter = open_venue(
            exchange_config(loaded, venue),
            venue_credentials(venue, credentials),
            metrics,
            clock_interval_s=loaded.app.exchange.clock_check_interval_s,
            key_standing=key_standing,
        )
        md: MarketDataService | None = None
        started = clock()
        try:
            await measure_at_start(adapter, loaded, keeper)
            rules = {p.product_id: p for p in choose_products(await adapter.products(), loaded)}
            recorder = CandleRecorder(db, loaded.app.recording.candles_keep_days)
            # PERF-7: what an earlier start recorded of this venue is not asked again (the
            # embedded simulator is a new market at every start: it is always asked)
            own_record = recorder.enabled and venue is None
            listed_at = await read_listing_times(adapter, recorder, list(rules), own_record, clock)
            actor = await Actor.create(loaded, db, metrics, keeper, adapter, rules, clock)
            registry = await build_registry(loaded.strategies, loaded.plugins)
            built = await build_filters(loaded.filters, loaded.universe.load_limit_s)
            core = DecisionCore.from_loaded(loaded, registry=registry, built=built)
            md = open_market_data(loaded, actor, list(rules), metrics, core, recorder, own_record)
            # subscribed before the backfill: the triggers see every candle, the store keeps
            # few; closed before `started`, backfilled candles are applied as they arrive
            core.triggers.advance(started)
            await recorder.save_products(list(rules.values()), listed_at)
            parts = (keeper, adapter, md, core, rules, listed_at, actor, recorder)
            runtime = cls(loaded, db, metrics, *parts, clock, supervisor)
            md.subscribe_candles(runtime._feed)
            md.subscribe_restarts(core.restart)  # missing venue data: windows start again
            # the backfill and the start gate are independent: side by side (PERF-7)
            await side_by_side(md.start(), runtime._set_fees(), actor.open_gate())
            await recorder.flush(clock(), md.quotes())  # a restart soon after finds them
        except BaseException:  # a failed start leaves nothing running; the caller retries
            if md is not None:
                await md.stop()
            await adapter.close()
            raise
        runtime._spawn_jobs(request_cancel)
        log.info(
            "trading_started",
            mode=loaded.app.mode.value,
            products=list(rules),
            listed=len(listed_at),
            reconciled=actor.reconciled,
        )
        return runtime

    async def _set_fees(self) -> None:
        try:
            self.core.set_fee_rates(await self.actor.exchange.fee_rates())
        except ExchangeError as exc:  # the configured fallback stays in force
            log.warning("fee_rates_unavailable", error=str(exc))

    async def _refresh_fees_daily(self) -> None:
        """X-3: the fee tier moves with 30-day volume; read it again once a day."""
        while True:
            await asyncio.sleep(FEE_REFRESH_S)
            await self._set_fees()

    def _spawn_jobs(self, request_cancel: Callable[[str], None]) -> None:
        """The runtime's jobs beside the cycle: exits between cycles, the fee tier, the
        rules watch, the LIVE clock watch and the order desk's own."""
        jobs: list[tuple[str, Job, OnFailure]] = [
            ("exit_watch", self._watch_exits, OnFailure.RESTART),
            ("fee_refresh", self._refresh_fees_daily, OnFailure.RESTART),
            ("product_rules", self.rules_watch.keep_current, OnFailure.RESTART),
        ]
        if self.loaded.app.mode is Mode.LIVE:  # trading on an unwatched clock: halt (EX-3)
            adapter, keeper = self.adapter, self.keeper
            watch = lambda: watch_clock(adapter, keeper, request_cancel)  # noqa: E731
            jobs.append(("clock_watch", watch, OnFailure.HALT))
        for name, work, policy in jobs + list(self.actor.background()):
            self.supervisor.spawn(name, work, policy, group=TRADING)

    # -- the cycle ---------------------------------------------------------------------
    def stages(self) -> list[Stage]:
        """The trading cycle as the cycle runner's timed stages."""
        stages = [Stage("inputs", self._inputs)]
        for name, work in self.cycle.stages():
            run = self._propose if name == "strategies" else _on_step(work)
            stages.append(Stage(name, run))
        stages += [Stage("record", self._record), Stage("execution", self._execute)]
        return stages

    async def _inputs(self, ctx: CycleContext) -> None:
        ctx.data[STEP] = DecisionStep(await self.cycle.inputs(ctx.started_at))

    async def _propose(self, ctx: CycleContext) -> None:
        await self.strategies.propose(_step(ctx), self.loaded.app.cycle.interval_s)

    def _on_rules(self, new: ProductRules) -> None:
        """A product delisted stops being followed, its exits no longer tried; listed
        again, it is followed again."""
        gone = delisted(new)
        self.md.follow(new.product_id, not gone)
        self.delisted.changed(new)
        if gone:
            self.actor.desk.exit_retry.forget(new.product_id)

    def _feed(self, candle: Candle) -> None:
        self.recorder.add(candle)
        self.strategies.feed(candle)

    async def _record(self, ctx: CycleContext) -> None:
        step: DecisionStep = ctx.data[STEP]
        positions = step.inputs.portfolio.positions
        self.delisted.observe({pid: p.base_size for pid, p in positions.items()})
        ids = ctx.data["proposal_ids"] = await self.cycle.record(ctx.cycle_id, step)
        log_decisions(step, ids)
        quotes = {p: pm.quote for p, pm in step.inputs.market.products.items() if pm.quote}
        await self.recorder.flush(step.now, quotes)
        self.gauges.observe(step, await self.db.run(realized_pnl))
        if self._fills_landed:  # the state file's per-strategy fills moved: export them again
            self._fills_landed = False
            self.gauges.by_strategy.observe_results(await self.db.run(fill_results))

    async def _on_fills(self, fills: list[Fill]) -> None:
        """Exposure gauges follow each fill: the new position at the latest mid (at the
        fill's price while no quote is known)."""
        self._fills_landed = True
        last_price = {f.product_id: f.price for f in fills}
        sizes, realized = await self.db.run(
            lambda conn: (position_sizes(conn, list(last_price)), realized_pnl(conn))
        )
        values = {}
        for product_id, price in last_price.items():
            quote = self.md.quote(product_id)
            values[product_id] = sizes.get(product_id, Decimal(0)) * (
                quote.mid if quote is not None else price
            )
        self.gauges.observe_positions(values, realized)

    def _on_exit_wait(self, event: ExitWait) -> None:
        """R-2: one line when a price exit starts waiting for confirmation (counted), one
        when the wait ends."""
        held = event.held
        if event.outcome is Outcome.WAITING:
            self.gauges.exits_unconfirmed.labels(
                product=held.product_id, reason=held.reason.value
            ).inc()
            log.warning("exit_unconfirmed", **waiting_fields(held, self.loaded.policy))
            return
        level = log.warning if event.outcome is Outcome.SENT_UNCONFIRMED else log.info
        level(
            "exit_confirmation_ended",
            product_id=held.product_id,
            reason=held.reason.value,
            outcome=event.outcome.value,
            waited_s=round(event.at - held.since, 3),
        )

    async def _execute(self, ctx: CycleContext) -> None:
        step: DecisionStep = ctx.data[STEP]
        await self.cycle.act(step, ctx.cycle_id, ctx.data.get("proposal_ids", {}))

    async def _watch_exits(self) -> None:
        """R-2: exits also run between cycles, on the latest prices."""
        while True:
            await asyncio.sleep(self.loaded.app.execution.exit_check_interval_s)
            if self.keeper.state is not TradingState.HALTED:
                await self.cycle.exits_between_cycles(self.clock())

    def reconfigure(
        self,
        fresh: LoadedConfig,
        registry: StrategyRegistry | None = None,
        built: Sequence[UniverseFilter[Any]] | None = None,
    ) -> None:
        """Adopt a reloaded policy (the daemon refuses reloads that change what is built at
        start: signals, execution, paper, venue); `registry`, `built`: its strategies and
        filters built already (`strategy_thread.build_registry`, `build_filters`)."""
        self.core.reconfigure(  # first: a strategy or filter that fails changes nothing
            fresh.policy,
            fresh.universe,
            fresh.strategies,
            fresh.plugins,
            fresh.filters,
            registry,
            built,
        )
        self.loaded = self.cycle.loaded = fresh
        self.actor.reconfigure(fresh)

    # -- operator side -----------------------------------------------------------------
    async def cancel_all(self, reason: str, *, list_limit_s: float | None = None) -> int:
        """`list_limit_s` bounds the read of the venue's open orders (a shutdown's share)."""
        return await self.actor.cancel_all(reason, list_limit_s=list_limit_s)

    def problems(self) -> list[str]:
        found = self.actor.problems() + self.actor.desk.exit_retry.problems()
        found += self.delisted.problems()
        stale = [
            pid
            for pid in self.md.followed()
            if self.md.data_age(pid) > self.loaded.policy.max_data_age_s
        ]
        if stale:
            found.append(f"market data stale for {len(stale)} product(s): {', '.join(stale[:5])}")
        return found

    def status(self) -> dict[str, Any]:
        return {
            "products": list(self.rules),
            "reconciled": self.actor.reconciled,
            "reconcile": self.actor.last_reconcile(),
            "balances": self.actor.balances_status(),
            "clock_offset_s": self.adapter.clock.offset_s,
            "signing_clock": self.adapter.clock.basis.value,
        }

    async def stop_jobs(self) -> None:
        """Stop every trading job (exits between cycles, order resolution, reconciliation,
        the user stream, the watchers): after this nothing of the runtime sends an order,
        so a cancel-all that follows is the last word (OPS-3)."""
        await self.supervisor.stop(group=TRADING)

    async def stop_market_data(self) -> None:
        """Close the market streams and their REST repairs: a stop needs no prices, and a
        flood of frames would otherwise hold the loop while the cancel-all runs (OPS-3)."""
        await self.md.stop()

    async def stop(self) -> None:
        await self.stop_jobs()
        await self.actor.stop()
        await self.md.stop()
        await self.adapter.close()


def _step(ctx: CycleContext) -> DecisionStep:
    step: DecisionStep | None = ctx.data.get(STEP)
    if step is None:
        raise RuntimeError("no decision inputs this cycle (the inputs stage failed)")
    return step


def _on_step(work: Callable[[DecisionStep], None]) -> Callable[[CycleContext], Awaitable[None]]:
    async def run(ctx: CycleContext) -> None:
        work(_step(ctx))

    return run
