"""The daemon's view of the persisted trading state (OPS-4).

SQLite is the truth; this keeps a cached copy for the hot path, writes every change
through, and picks up changes made by the operator's commands (`trader resume`) by
polling the row's version.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog

from trader.core.types import TradingState
from trader.ops.metrics import Metrics
from trader.state.db import Database
from trader.state.trading_state import TradingStatus, halt, read_status, set_state

log = structlog.get_logger("trader.state")

Listener = Callable[[TradingStatus, TradingStatus], Awaitable[None]]


class StateKeeper:
    def __init__(
        self,
        db: Database,
        metrics: Metrics,
        status: TradingStatus,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._clock = clock
        self._metrics = metrics
        self.status = status
        self._listeners: list[Listener] = []
        metrics.set_trading_state(status.state)

    @classmethod
    async def load(
        cls, db: Database, metrics: Metrics, clock: Callable[[], float] = time.time
    ) -> StateKeeper:
        return cls(db, metrics, await db.run(read_status), clock)

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @property
    def state(self) -> TradingState:
        return self.status.state

    async def halt(self, reason: str, detail: str | None, actor: str = "daemon") -> TradingStatus:
        now = self._clock()
        new = await self._db.run(lambda conn: halt(conn, reason, detail, now, actor))
        self._metrics.halts.labels(reason=reason).inc()
        await self._adopt(new)
        return new

    async def set_state(
        self, state: TradingState, actor: str, note: str | None = None
    ) -> TradingStatus:
        now = self._clock()
        new = await self._db.run(lambda conn: set_state(conn, state, now, actor, note))
        await self._adopt(new)
        return new

    async def sync(self) -> None:
        """Adopt a change written by another process (e.g. `trader resume`)."""
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
