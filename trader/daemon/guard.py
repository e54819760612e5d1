"""The state file under watch (ST-1, ST-3): writable, and still the file the daemon opened.

Checked every second by the daemon. The store's writability (another process holding the
write lock) is exported as `trader_state_writable` and named in `/status` and `/readyz`.
A state file deleted, replaced or truncated under the running daemon halts it (reason
`state_file_lost`, in force at once), cancels its open orders at the venue, and keeps a
copy of everything the daemon's open connection still holds in
`<state file>.recovered-<UTC time>`, refreshed while it runs on: stop the daemon and move
that copy back to restart where it stopped (README "State file"). A file truncated under
the daemon is still its file: SQLite writes its write-ahead log back into it at the next
checkpoint, and the next start accepts the result only if its integrity check passes
(then HALTED, reason `state_file_lost`, as it was left) — else it refuses with exit 5.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import structlog

from trader.core.clock import Clock
from trader.daemon.killswitch import CancelDriver
from trader.desk.keeper import StateKeeper
from trader.ops.metrics import Metrics
from trader.state.db import Database
from trader.state.identity import FileProblem

log = structlog.get_logger("trader.state")

STATE_FILE_LOST = "state_file_lost"
COPY_EVERY_S = 10.0


class StateGuard:
    def __init__(
        self,
        db: Database,
        keeper: StateKeeper,
        metrics: Metrics,
        canceller: CancelDriver,
        clock: Clock,
    ) -> None:
        self._db = db
        self._clock = clock
        self._keeper = keeper
        self._metrics = metrics
        self._canceller = canceller
        self._failures_seen = 0
        self.lost: str | None = None
        self.recovery_path: Path | None = None
        self._copied_at = 0.0
        metrics.state_writable.set_function(lambda: 1.0 if db.health.writable else 0.0)

    async def check(self) -> None:
        self._export_health()
        if self.lost is None:
            problem = self._db.identity_problem()
            if problem is not None:
                await self._lose(problem)
        elif time.monotonic() - self._copied_at >= COPY_EVERY_S:
            await self.save_copy()

    async def _lose(self, problem: FileProblem) -> None:
        self.lost = problem.text
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self._clock()))
        self.recovery_path = self._db.path.with_name(f"{self._db.path.name}.recovered-{stamp}")
        self._metrics.state_file_ok.set(0)
        log.critical("state_file_lost", problem=problem.text, recovery_copy=str(self.recovery_path))
        await self._keeper.halt(STATE_FILE_LOST, problem.text, persist_wait_s=1.0)
        self._canceller.request(STATE_FILE_LOST)
        await self.save_copy()

    async def save_copy(self) -> None:
        """Everything the open connection holds, to the recovery copy (never over the
        state path itself: a file there now is someone else's)."""
        if self.recovery_path is None:
            return
        self._copied_at = time.monotonic()
        try:
            await self._db.save_copy(self.recovery_path)
        except (sqlite3.Error, OSError) as exc:  # a truncated file may not copy; halt stands
            log.error("state_recovery_copy_failed", error=repr(exc), path=str(self.recovery_path))
            return
        log.warning("state_recovery_copy_saved", path=str(self.recovery_path))

    def _export_health(self) -> None:
        health = self._db.health
        if health.failures > self._failures_seen:
            self._metrics.state_write_failures.inc(health.failures - self._failures_seen)
            self._failures_seen = health.failures

    def problems(self) -> list[str]:
        found = [] if self.lost is None else [f"{self.lost} (recovery copy {self.recovery_path})"]
        health = self._db.health
        if not health.writable:
            now = self._clock()
            found.append(
                f"state file not writable for {now - (health.since or now):.0f}"
                f" s: {health.error}; nothing new is sent"
            )
        return found

    def status(self) -> dict[str, object]:
        health = self._db.health
        return {
            "path": str(self._db.path),
            "writable": health.writable,
            "unwritable_since": health.since,
            "error": health.error,
            "write_failures": health.failures,
            "lost": self.lost,
            "recovery_copy": None if self.recovery_path is None else str(self.recovery_path),
        }
