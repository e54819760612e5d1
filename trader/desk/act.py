"""From decisions to intents, one order path for every mode (OPS-2, X-1, X-2, X-6).

Every mode acts through the same order desk and order manager; they differ only at the
edge. LIVE sends to the venue; PAPER to the paper exchange (live data, local fills, its own
database file); DRY_RUN stops at the execution engine's send gate, which records as a DRY
intent exactly the request LIVE would have sent. Exits go first, then entries; a product
with an exit in flight (working, or its fills not yet booked) gets no second one: the
execution engine's exit guard holds that on every path, this check keeps it quiet.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Final

import structlog

from trader.config.loader import LoadedConfig
from trader.core.clock import Clock
from trader.core.decision import ExitOrder, Verdict
from trader.core.types import Mode, ProductRules, Quote, Side
from trader.desk.keeper import StateKeeper
from trader.desk.listing import delisted
from trader.desk.orders import OrderDesk
from trader.exchange.errors import ExchangeError
from trader.exchange.interface import Exchange, Venue
from trader.exchange.models import balances_by_currency
from trader.execution import exit_guard, store
from trader.execution.intents import Purpose
from trader.execution.paper import PaperExchange
from trader.ops.lifecycle import Job, OnFailure
from trader.ops.metrics import Metrics
from trader.pipeline.decide import DecisionStep
from trader.risk.fees import fallback_rates
from trader.state.db import Database, StateUnavailableError
from trader.state.fills import fill_deltas
from trader.state.portfolio import held_sizes

log = structlog.get_logger("trader.act")
FINAL_SYNC_S: Final = 3.0
PAPER_RESTARTED: Final = "paper venue restarted"  # why its working intents closed at a restart

# a background job: its name, its work, what its failure does
Background = tuple[str, Job, OnFailure]


class Actor:
    def __init__(
        self,
        loaded: LoadedConfig,
        db: Database,
        exchange: Exchange,
        desk: OrderDesk,
        rules: dict[str, ProductRules],
        timer: Clock,
    ) -> None:
        """`timer` measures the last balance read's age (R-5): the daemon's is monotonic, so
        a wall clock stepped back never stretches how long a stale read stands in (the
        backtest's is its simulated clock)."""
        self.loaded = loaded
        self.db = db
        self.exchange = exchange
        self.desk = desk
        self.rules = rules
        self._timer = timer
        self.quote: Callable[[str], Quote | None] = lambda _pid: None
        self._balances: tuple[dict[str, Decimal], float] | None = None  # last read, `timer` then
        self._balances_error: str | None = None
        self._unknown_announced = False
        # a product's exit is decided by one caller at a time (the cycle's and the
        # between-cycles exit check run side by side): the second sees the first's outcome
        self._exiting: dict[str, asyncio.Lock] = {}

    @property
    def dry_run(self) -> bool:
        return self.loaded.app.mode is Mode.DRY_RUN

    @classmethod
    async def create(
        cls,
        loaded: LoadedConfig,
        db: Database,
        metrics: Metrics,
        keeper: StateKeeper,
        adapter: Venue,
        rules: dict[str, ProductRules],
        clock: Clock,
        timer: Clock = time.monotonic,
    ) -> Actor:
        mode = loaded.app.mode
        exchange: Exchange = adapter
        if mode is Mode.PAPER:
            exchange = await _paper_exchange(loaded, db, adapter, rules, clock)
        quotes = _QuoteRelay()
        desk = await OrderDesk.create(
            db,
            exchange,
            metrics,
            keeper,
            loaded.app.execution,
            mode.value,
            quotes,
            rules,
            clock=clock,
            timer=timer,
            # the GTD end_time the venue judges: on its clock (DRY_RUN records what LIVE sends)
            venue_clock=None if mode is Mode.PAPER else adapter.clock.now,
        )
        desk.record_cooldowns(loaded.policy)
        actor = cls(loaded, db, exchange, desk, rules, timer)
        quotes.actor = actor
        return actor

    def reconfigure(self, fresh: LoadedConfig) -> None:
        self.loaded = fresh
        self.desk.set_policy(fresh.policy)

    # -- start and background ----------------------------------------------------------
    async def open_gate(self) -> None:
        """X-5: nothing is sent before the start-up reconciliation has passed. A venue that
        does not answer now keeps the gate closed, not the daemon down: the reconcile task
        tries again every few seconds and `/readyz` says so meanwhile. (DRY_RUN holds
        nothing at the venue: its desk starts reconciled.)"""
        if self.dry_run:
            return
        try:
            await self.desk.reconcile(startup=True)
        except ExchangeError as exc:
            log.warning("start_gate_waits_for_the_venue", error=str(exc)[:300])

    @property
    def reconciled(self) -> bool:
        return self.desk.reconciled

    def background(self) -> list[Background]:
        """The user stream falls back to REST by itself: restarted. Unknown outcomes and
        reconciliation guard money: trading halts when their job fails."""
        if self.dry_run:  # nothing is ever at the venue to follow, resolve or reconcile
            return []
        jobs: list[Background] = [
            ("user_stream", self.desk.follow_user_stream, OnFailure.RESTART),
            ("resolve", self.desk.keep_resolving, OnFailure.HALT),
            ("reconcile", self.desk.keep_reconciling, OnFailure.HALT),
        ]
        if not isinstance(self.exchange, PaperExchange):  # its events come synchronously
            jobs.append(("order_watch", self.desk.order_watch.keep_watching, OnFailure.RESTART))
        return jobs

    def last_reconcile(self) -> dict[str, object] | None:
        report = self.desk.last_report
        return None if report is None else report.as_dict()

    def problems(self) -> list[str]:
        if self.desk.adoption_required is not None:
            return [f"adoption required: {self.desk.adoption_required}; run `trader adopt`"]
        found = [] if self.reconciled else ["not reconciled with the venue"]
        return found + self.desk.order_watch.problems() + self.desk.missing_fills.problems()

    async def cash(self) -> tuple[dict[str, Decimal], bool]:
        """Balances by currency and whether they are known (R-5). A failed read falls back
        to the last balances read within `execution.balance_max_age_s`; beyond that they
        are unknown — never a default. (DRY_RUN on a venue whose accounts were never
        readable decides on `paper.quote_balance`, a stated assumption.) A listing without
        the quote currency's account is a failed read, not a zero (R-5)."""
        try:
            cash = balances_by_currency(await self.exchange.accounts())
        except ExchangeError as exc:
            return self._unread(str(exc))
        quote = self.loaded.universe.quote_currency
        if quote not in cash:  # the venue lists every currency held, a zero one too
            return self._unread(f"accounts: the venue lists no {quote} account")
        if self._balances_error is not None:
            log.warning("balances_read_again", after_error=self._balances_error)
        self._balances, self._balances_error = (cash, self._timer()), None
        self._unknown_announced = False
        return cash, True

    def _unread(self, error: str) -> tuple[dict[str, Decimal], bool]:
        first = self._balances_error is None
        self._balances_error = error
        if self._balances is None and self.loaded.app.mode is Mode.DRY_RUN:
            quote = self.loaded.universe.quote_currency
            return {quote: Decimal(str(self.loaded.app.paper.quote_balance))}, True
        age = self.balances_age()
        if self._balances is not None and age is not None and age <= self._max_age():
            if first:
                log.warning("accounts_unavailable_using_last_read", error=error, age_s=round(age))
            return dict(self._balances[0]), True
        if not self._unknown_announced:  # once per episode, not once per exit check
            self._unknown_announced = True
            log.error("balances_unknown", error=error, last_read_age_s=age, entries="held")
        return {}, False

    def _max_age(self) -> float:
        return self.loaded.app.execution.balance_max_age_s

    def balances_age(self) -> float | None:
        return None if self._balances is None else self._timer() - self._balances[1]

    def balances_status(self) -> dict[str, object]:
        age = self.balances_age()
        return {
            "age_s": None if age is None else round(age, 1),
            "error": self._balances_error,
            "known": age is not None and age <= self._max_age(),
        }

    # -- acting ------------------------------------------------------------------------
    async def act(self, step: DecisionStep, cycle_id: str, proposal_ids: dict[str, str]) -> None:
        await self.exit_positions(step.exits, cycle_id)
        for verdict in step.approved:
            await self._enter(verdict, cycle_id, proposal_ids.get(verdict.proposal.key))

    async def _enter(self, verdict: Verdict, cycle_id: str, proposal_id: str | None) -> None:
        proposal = verdict.proposal
        if proposal.side is Side.SELL:
            await self._exit(
                proposal.product_id,
                verdict.base_size,
                Purpose.EXIT,
                cycle_id,
                strategy=proposal.strategy_id,
            )
            return
        await self.desk.manager.enter(
            proposal.product_id,
            Side.BUY,
            verdict.base_size,
            proposal_id=proposal_id,
            cycle_id=cycle_id,
            strategy=proposal.strategy_id,
        )

    async def exit_positions(self, exits: Sequence[ExitOrder], cycle_id: str | None) -> None:
        for exit_order in exits:
            await self._exit(
                exit_order.product_id,
                exit_order.base_size,
                Purpose.EXIT,
                cycle_id,
                reason=exit_order.reason.value,
                strategy=exit_order.strategy_id or None,
            )

    async def _exit(
        self,
        product_id: str,
        size: Decimal,
        purpose: Purpose,
        cycle_id: str | None,
        reason: str = "proposal",
        strategy: str | None = None,
    ) -> None:
        if delisted(self.rules.get(product_id)):  # the venue takes no order (listing.py)
            return
        async with self._exiting.setdefault(product_id, asyncio.Lock()):
            retry = self.desk.exit_retry  # a refused exit backs off (EX-4)
            if not await retry.may_send(product_id):
                return
            in_flight = await self.db.run(lambda conn: exit_guard.exit_in_flight(conn, product_id))
            if in_flight:  # its fills not yet booked: the position still shows its old size
                return
            log.warning("exit_due", product_id=product_id, size=str(size), reason=reason)
            intent = await self.desk.manager.exit(
                product_id,
                size,
                purpose=purpose,
                cycle_id=cycle_id,
                reason=reason,
                strategy=strategy,
            )
            await retry.sent(product_id, intent)

    async def cancel_all(self, reason: str, *, list_limit_s: float | None = None) -> int:
        # DRY_RUN never has an order at the venue (its flatten is recorded like any order)
        if self.dry_run:
            cancelled = 0
        else:
            cancelled = await self.desk.cancel_all(reason, list_limit_s=list_limit_s)
        if reason == "kill_switch" and self.loaded.app.kill_switch.flatten:
            await self.flatten()
        return cancelled

    async def flatten(self) -> None:
        """OPS-4 `kill_switch.flatten`: sell every position, slippage bounded. The fills of
        finished orders are booked first: an exit that filled but whose fills are not yet
        stored would hold its product's flatten back (the exit guard), and the position
        sold is the one those fills leave."""
        await self._book_finished_fills("flatten_fill_sync_incomplete")
        positions = await self.db.run(held_sizes)
        cap = Decimal(str(self.loaded.app.kill_switch.flatten_max_slippage_bps))
        for product_id, size in positions:
            log.critical("kill_switch_flatten", product_id=product_id, size=size)
            await self.desk.manager.exit(
                product_id,
                Decimal(size),
                purpose=Purpose.FLATTEN,
                reason="kill_switch_flatten",
                slippage_bps=cap,
            )

    async def stop(self) -> None:
        """OPS-3 flush: the fills of every finished order are on disk before we exit (the
        paper exchange wraps the adapter, which the runtime closes)."""
        await self._book_finished_fills("final_fill_sync_incomplete")

    async def _book_finished_fills(self, incomplete: str) -> None:
        """Store every fill of the orders that reached a final state (within a bound)."""
        if self.dry_run:
            return
        try:
            async with asyncio.timeout(FINAL_SYNC_S):
                await self.desk.reconciler.verify_fills()
        except (TimeoutError, ExchangeError, sqlite3.Error, StateUnavailableError) as exc:
            log.error(incomplete, error=repr(exc))


async def _paper_exchange(
    loaded: LoadedConfig,
    db: Database,
    adapter: Venue,
    rules: dict[str, ProductRules],
    clock: Clock,
) -> PaperExchange:
    """X-6: the paper venue restarts with the balances its recorded fills explain; orders it
    had working are gone with the old process, so their intents are closed first."""
    paper = loaded.app.paper
    quote = loaded.universe.quote_currency
    opening = {quote: Decimal(str(paper.quote_balance))}
    deltas = await db.run(fill_deltas)
    balances = {
        c: opening.get(c, Decimal(0)) + deltas.get(c, Decimal(0))
        for c in set(opening) | set(deltas)
    }
    now = clock()
    closed = await db.run(lambda conn: store.close_working(conn, PAPER_RESTARTED, now))
    if closed:
        log.warning("paper_orders_closed_at_restart", count=closed)
    return PaperExchange(
        adapter,
        list(rules.values()),
        balances,
        fallback_rates(loaded.policy),
        latency_s=paper.latency_ms / 1000,
        clock=clock,
        depth_levels=paper.depth_levels,
        step_bps=Decimal(str(paper.level_step_bps)),
    )


class _QuoteRelay:
    """The desk asks the actor for quotes; the actor's quote source is set after start."""

    def __init__(self) -> None:
        self.actor: Actor | None = None

    def __call__(self, product_id: str) -> Quote | None:
        return None if self.actor is None else self.actor.quote(product_id)
