"""Reconciliation (X-5, ST-2): the gate before trading, then periodically.

In order: close intents that were never sent; resolve every SUBMITTING intent by resending
its exact bytes; adopt own open orders (by client-id prefix) and refresh orders the
database thinks are working but the venue no longer lists; fetch fills since the last one
stored; compare venue balances with `baseline + what our fills moved`. A difference beyond
tolerance is a mismatch: the caller halts with reason `reconcile_mismatch`. A currency the
ledger expects a balance of, or a traded product's quote currency, that the venue's
listing leaves out is not a zero: the balances are not compared (nor a first baseline
recorded) that time (`unsettled`), nor while a finished order's stored fills hold less than
it reported (`fills_short`: the venue's balances hold that fill, the ledger not yet; the
desk watches how long, `desk/missing_fills.py`).

A state that needs adoption (ST-3: the state file was lost, or a fresh state faces an
account holding a traded coin no state explains) is not reconciled at all: the report
says why, the start gate stays closed, and `trader adopt` rebuilds the state first.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import structlog

from trader.core.clock import Clock
from trader.exchange.interface import Exchange
from trader.exchange.models import balances_by_currency
from trader.exchange.order_feed import order_event
from trader.execution.engine import ExecutionEngine
from trader.execution.exit_guard import fills_booked
from trader.execution.ids import OrderIds
from trader.execution.tracker import OrderTracker
from trader.state import fill_rows
from trader.state.db import Database, transaction
from trader.state.fills import (
    fill_deltas,
    fill_sync_start,
    load_baseline,
    mark_verified,
    save_baseline,
    unverified_orders,
)
from trader.state.identity import adoption_reason, flag_adoption
from trader.state.orders import own_orders_without_intent, working_progress

log = structlog.get_logger("trader.reconcile")

FILL_LOOKBACK_S = 600.0
SETTLE_ATTEMPTS = 5
SETTLE_PAUSE_S = 0.2
VERIFY_BATCH = 50


@dataclass
class ReconcileReport:
    closed_unsent: int = 0
    still_submitting: int = 0
    own_open: int = 0
    adopted: list[str] = field(default_factory=list)
    refreshed: int = 0
    foreign_open: list[str] = field(default_factory=list)
    new_fills: int = 0
    mismatches: list[str] = field(default_factory=list)
    unsettled: bool = False  # balances could not be compared: fills kept arriving
    fills_short: list[str] = field(default_factory=list)  # finished, fills not all stored
    adoption_required: str | None = None

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.still_submitting == 0 and self.adoption_required is None

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "closed_unsent": self.closed_unsent,
            "still_submitting": self.still_submitting,
            "own_open": self.own_open,
            "adopted": self.adopted,
            "refreshed": self.refreshed,
            "foreign_open": self.foreign_open,
            "new_fills": self.new_fills,
            "mismatches": self.mismatches,
            "unsettled": self.unsettled,
            "fills_short": self.fills_short,
            "adoption_required": self.adoption_required,
        }


def _marker(batch: list[tuple[str, str]], now: float) -> Callable[[sqlite3.Connection], list[str]]:
    """Mark finished intents verified, their progress raised to the fills now stored (a
    state written before this release may hold an intent behind its fills) — those whose
    stored fills hold all their order reported filled; the rest are asked again at the
    next reconcile (an exit stays in flight until then: `exit_guard`)."""

    def mark(conn: sqlite3.Connection) -> list[str]:
        """The orders whose fills are not all stored yet."""
        with transaction(conn):
            for intent_id, order_id in batch:
                fill_rows.progress_from_fills(conn, order_id, intent_id, now)
            short = [o for i, o in batch if not fills_booked(conn, i, o)]
            mark_verified(conn, [i for i, o in batch if o not in short])
        return short

    return mark


class Reconciler:
    def __init__(
        self,
        db: Database,
        exchange: Exchange,
        ids: OrderIds,
        engine: ExecutionEngine,
        tracker: OrderTracker,
        *,
        tolerance: Decimal,
        base_currencies: frozenset[str] = frozenset(),
        quote_currencies: frozenset[str] = frozenset(),
        clock: Clock,
    ) -> None:
        self.db = db
        self.exchange = exchange
        self.ids = ids
        self.engine = engine
        self.tracker = tracker
        self.tolerance = tolerance
        self.base_currencies = base_currencies  # of the traded products (ST-3 first check)
        self.quote_currencies = quote_currencies  # of the traded products: always listed
        self._clock = clock
        # venue order id -> intent id of the finished orders whose fills the last
        # `verify_fills` found not all stored
        self.short: dict[str, str] = {}

    async def run(self, *, startup: bool) -> ReconcileReport:
        report = ReconcileReport()
        report.adoption_required = await self.db.run(adoption_reason)
        if report.adoption_required is not None:
            log.critical("reconcile_waits_for_adoption", reason=report.adoption_required)
            return report
        if startup:
            report.closed_unsent = await self.engine.close_unsent()
        report.still_submitting = await self.engine.resolve_pending(force=startup)
        await self._orders(report)
        report.new_fills = await self._fills()
        await self._balances(report)
        report.fills_short = sorted(self.short)
        log.info("reconciled", startup=startup, **report.as_dict())
        return report

    async def _orders(self, report: ReconcileReport) -> None:
        listed = await self.exchange.list_orders(statuses=["OPEN"])
        own = [o for o in listed if self.ids.is_own(o.client_order_id)]
        report.foreign_open = [o.order_id for o in listed if not self.ids.is_own(o.client_order_id)]
        report.own_open = len(own)
        known = await self.db.run(working_progress)
        for order in own:
            if order.order_id not in known:
                report.adopted.append(order.order_id)
            elif known[order.order_id] == order.filled_size:
                continue  # working as we know it: nothing to apply (PERF-7: 1000 at a restart)
            await self.tracker.on_order_event(order_event(order, source="reconcile"))
        orphans = await self.db.run(own_orders_without_intent)
        if orphans:
            report.mismatches.append(
                f"{orphans} own-prefixed order(s) with no intent in this database"
            )
        for order_id in set(known) - {o.order_id for o in own}:
            await self.tracker.refresh_order(order_id)  # filled or cancelled while we looked away
            report.refreshed += 1

    async def _fills(self) -> int:
        """Fills since shortly before the last stored one (or our first order), then every
        finished order's fills by order id, once: no fill can be left behind (X-4)."""
        since = await self.db.run(lambda conn: fill_sync_start(conn, FILL_LOOKBACK_S))
        fresh = [] if since is None else await self.tracker.sync_fills(start=since)
        return len(fresh) + await self.verify_fills()

    async def verify_fills(self) -> int:
        """Every order that reached a final state has all its fills stored: ask the venue
        by order id (batches of 50), store what is missing, mark the intents verified.
        Those still short are kept in `short` (the report names them; the desk watches
        how long: `desk/missing_fills.py`)."""
        pending = await self.db.run(unverified_orders)
        found = 0
        short: dict[str, str] = {}
        for start in range(0, len(pending), VERIFY_BATCH):
            batch = pending[start : start + VERIFY_BATCH]
            found += len(
                await self.tracker.sync_fills(order_ids=[order_id for _, order_id in batch])
            )
            intents = {order_id: intent_id for intent_id, order_id in batch}
            for order_id in await self.db.run(_marker(batch, self._clock())):
                short[order_id] = intents[order_id]
        self.short = short
        return found

    async def _balances(self, report: ReconcileReport) -> None:
        """Compare a settled snapshot only: balances read, then fills synced again; when that
        found new fills (an order filled meanwhile), an intent is still SUBMITTING or a
        finished order's reported fills are not all stored (the venue's balances hold
        them, the fills endpoint does not list them yet), the snapshot is in flight —
        retried, and never called a mismatch."""
        for _ in range(SETTLE_ATTEMPTS):
            totals = await self._venue_totals()
            in_flight = await self._fills() + report.still_submitting
            if in_flight == 0 and not self.short:
                await self._compare(totals, report)
                return
            report.new_fills += in_flight
            await asyncio.sleep(SETTLE_PAUSE_S)
        report.unsettled = True
        log.warning(
            "reconcile_balances_unsettled", attempts=SETTLE_ATTEMPTS, fills_short=sorted(self.short)
        )

    async def _first_baseline(self, totals: dict[str, Decimal], report: ReconcileReport) -> None:
        """A state's first reconcile records the balances as its baseline — unless the
        account holds a traded coin that no fill of this state explains: an earlier
        installation's position, whose state is lost, or the operator's own coins. Either
        way the operator says so (`trader adopt`) before anything is sent (ST-3)."""
        deltas = await self.db.run(fill_deltas)
        unexplained = {
            c: totals[c] - deltas.get(c, Decimal(0))
            for c in sorted(self.base_currencies & set(totals))
            if abs(totals[c] - deltas.get(c, Decimal(0))) > self.tolerance
        }
        if not unexplained:
            now = self._clock()
            await self.db.run(lambda conn: save_baseline(conn, totals, now))
            return
        held = ", ".join(f"{size} {currency}" for currency, size in unexplained.items())
        reason = (
            f"the account holds {held} that no state explains (an earlier installation's "
            "positions, or coins bought by hand)"
        )
        await self.db.run(lambda conn: flag_adoption(conn, reason))
        report.adoption_required = reason
        log.critical("adoption_required", reason=reason)

    async def _venue_totals(self) -> dict[str, Decimal]:
        return balances_by_currency(await self.exchange.accounts())

    async def _compare(self, totals: dict[str, Decimal], report: ReconcileReport) -> None:
        baseline = await self.db.run(load_baseline)
        deltas = await self.db.run(fill_deltas)
        expected = {
            currency: (baseline or {}).get(currency, Decimal(0)) + deltas.get(currency, Decimal(0))
            for currency in sorted(set(baseline or {}) | set(deltas))
        }
        needed = self.quote_currencies | {c for c, size in expected.items() if size}
        unlisted = sorted(needed - set(totals))
        if unlisted:  # an account the venue lists no longer is an incomplete read
            report.unsettled = True
            log.warning("reconcile_balances_incomplete", unlisted=unlisted)
            return
        if baseline is None:
            await self._first_baseline(totals, report)
            return
        for currency, size in expected.items():
            actual = totals.get(currency, Decimal(0))
            if abs(actual - size) > self.tolerance:
                report.mismatches.append(f"{currency}: venue {actual}, expected {size}")
