"""The daemon's view of the persisted trading state (OPS-4, R-4).

SQLite is the truth; this keeps a cached copy for the hot path, writes every change
through, and picks up changes made by the operator's commands (`trader resume`) by
polling the row's version.

A halt (or a loss limit's REDUCING, R-4) takes effect in memory first — the send gate
reads this copy, so nothing new is sent from that instant — then it is persisted. When the
state file cannot be written (another process holds its lock, the file is gone), it stays
in force in memory and is written on every later `sync` until it lands; a newer row is
never adopted over it. Every halt and reduction is one CRITICAL log line with its reason
and numbers.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import structlog

from trader.core.clock import Clock
from trader.core.types import TradingState
from trader.ops.metrics import Metrics
from trader.risk.limits import HaltTransition
from trader.state.db import Database, StateUnavailableError
from trader.state.trading_state import TradingStatus, halt, read_status, reduce, set_state

log = structlog.get_logger("trader.state")

Listener = Callable[[TradingStatus, TradingStatus], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PendingHalt:
    """A HALTED or REDUCING in force in memory, not yet written."""

    state: TradingState
    reason: str
    detail: str | None
    actor: str
    at: float


class StateKeeper:
    def __init__(
        self,
        db: Database,
        metrics: Metrics,
        status: TradingStatus,
        clock: Clock,
    ) -> None:
        self._db = db
        self._clock = clock
        self._metrics = metrics
        self.status = status
        self.pending: PendingHalt | None = None  # a halt in force but not yet on disk
        self._listeners: list[Listener] = []
        metrics.set_trading_state(status.state)

    @classmethod
    async def load(cls, db: Database, metrics: Metrics, clock: Clock) -> StateKeeper:
        return cls(db, metrics, await db.run(read_status), clock)

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @property
    def state(self) -> TradingState:
        return self.status.state

    async def halt(
        self,
        reason: str,
        detail: str | None,
        actor: str = "daemon",
        *,
        persist_wait_s: float | None = None,
    ) -> TradingStatus:
        """HALTED now (in memory), then on disk — waiting at most `persist_wait_s` for the
        write (None: as long as it takes); an unfinished write is retried by `sync`."""
        return await self._enter(TradingState.HALTED, reason, detail, actor, persist_wait_s)

    async def reduce(self, reason: str, detail: str | None, actor: str = "daemon") -> TradingStatus:
        """REDUCING now, then on disk (R-4: entries stop, exits go on); HALTED stays."""
        if self.state is TradingState.HALTED:
            return self.status
        return await self._enter(TradingState.REDUCING, reason, detail, actor, None)

    async def apply_limit(self, transition: HaltTransition) -> TradingStatus:
        """A loss limit's transition (REDUCING or HALTED), with its numbers as the detail."""
        breach = transition.breach
        detail = f"{breach.value_pct:.2f}% vs limit {breach.limit_pct}%"
        if transition.target is TradingState.HALTED:
            return await self.halt(breach.reason.value, detail)
        return await self.reduce(breach.reason.value, detail)

    async def _enter(
        self,
        state: TradingState,
        reason: str,
        detail: str | None,
        actor: str,
        persist_wait_s: float | None,
    ) -> TradingStatus:
        now = self._clock()
        halted_at = self.status.halted_at if self.state is state else now
        self.pending = PendingHalt(state, reason, detail, actor, now)
        await self._adopt(
            replace(
                self.status,
                state=state,
                halt_reason=reason,
                halt_detail=detail,
                halted_at=halted_at,
                updated_at=now,
            )
        )
        if state is TradingState.HALTED:
            self._metrics.halts.labels(reason=reason).inc()
            log.critical("trading_halted", reason=reason, detail=detail, actor=actor)
        else:
            self._metrics.reductions.labels(reason=reason).inc()
            log.critical("trading_reduced", reason=reason, detail=detail, actor=actor)
        try:
            async with asyncio.timeout(persist_wait_s):
                await self.persist_pending()
        except TimeoutError:
            log.error("halt_persist_slow", reason=reason, waited_s=persist_wait_s)
        return self.status

    async def persist_pending(self) -> bool:
        """Write the halt in force to the state file; False while it cannot be written."""
        pending = self.pending
        if pending is None:
            return True
        write = halt if pending.state is TradingState.HALTED else reduce
        try:
            written = await self._db.run(
                lambda conn: write(conn, pending.reason, pending.detail, pending.at, pending.actor)
            )
        except (StateUnavailableError, sqlite3.Error) as exc:
            log.error("halt_not_persisted", reason=pending.reason, error=str(exc))
            return False
        if self.pending is pending:
            self.pending = None
            self.status = written
        return True

    async def set_state(
        self, state: TradingState, actor: str, note: str | None = None
    ) -> TradingStatus:
        now = self._clock()
        new = await self._db.run(lambda conn: set_state(conn, state, now, actor, note))
        self.pending = None
        await self._adopt(new)
        return new

    async def sync(self) -> None:
        """Write a pending halt; then adopt a change written by another process (e.g.
        `trader resume`)."""
        if not await self.persist_pending():
            return
        fresh = await self._db.run(read_status)
        if fresh.version != self.status.version:
            log.warning(
                "trading_state_changed_externally",
                state=fresh.state.value,
                halt_reason=fresh.halt_reason,
            )
            await self._adopt(fresh)

    async def _adopt(self, new: TradingStatus) -> None:
        old, self.status = self.status, new
        self._metrics.set_trading_state(new.state)
        for listener in self._listeners:
            await listener(old, new)
