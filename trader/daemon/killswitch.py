"""Kill switch watcher (OPS-4, R-4), on its own task so it never waits for a cycle.

Within one poll interval of the file appearing: HALTED with reason `kill_switch` is in
force (nothing new is sent), then persisted, a CRITICAL line is logged,
`trader_kill_switch_active` is 1, and cancel-all runs — retried with backoff for as long
as the venue does not answer (`trader_kill_switch_cancel_pending`). Nothing the venue or
the state file does ends the watcher. Removing the file does not resume, unless
`kill_switch.auto_resume` is set. The file's text, if any, is kept as the halt's detail
(`trader kill --reason ...`): its first 500 characters, then its length, logged once (on
`trading_halted`); SIGUSR1 engages the switch the same way when the file cannot be
created.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

from trader.core.clock import Clock
from trader.core.types import TradingState
from trader.desk.keeper import StateKeeper
from trader.exchange.errors import ExchangeError
from trader.ops.metrics import Metrics
from trader.ops.tasks import cancel_and_wait
from trader.state.db import StateUnavailableError

log = structlog.get_logger("trader.kill_switch")

KILL_SWITCH_REASON = "kill_switch"
KILL_SIGNAL_REASON = "kill_switch_signal"
PERSIST_WAIT_S = 1.0  # the halt is written first, but cancels never wait longer than this
DETAIL_CHARS = 500  # of the file's text, what the halt's detail keeps (and its log line shows)
READ_BYTES = 1 << 20  # of the file, what is read at most (a `--reason` is at most 128 KiB)
CancelAll = Callable[[str], Awaitable[int]]
EXPECTED_FAILURES = (ExchangeError, StateUnavailableError, sqlite3.Error, OSError)


def read_reason(path: Path) -> str | None:
    """The file's text as the halt's detail: its first DETAIL_CHARS characters, then how
    long it is (the file keeps it whole); at most READ_BYTES are read."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(READ_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"(kill-switch file unreadable: {exc.strerror or exc})"
    text = raw[:READ_BYTES].decode("utf-8", errors="replace").strip()
    if len(raw) > READ_BYTES:
        return f"{text[:DETAIL_CHARS]}… (more than {READ_BYTES} bytes)"
    if len(text) > DETAIL_CHARS:
        return f"{text[:DETAIL_CHARS]}… ({len(text)} characters)"
    return text or None


class CancelDriver:
    """Runs cancel-all until one pass completes; an error (venue down, state file locked)
    is logged and retried with backoff, never raised. The graceful stop retries its own
    cancel-all with the same `retrying`, within its budget (daemon/stop_cancel.py)."""

    def __init__(
        self,
        cancel_all: CancelAll,
        metrics: Metrics,
        *,
        clock: Clock,
        first_retry_s: float = 0.2,
        max_retry_s: float = 5.0,
    ) -> None:
        self._cancel_all = cancel_all
        self._clock = clock
        self._metrics = metrics
        self._first = first_retry_s
        self._max = max_retry_s
        self._reason = ""
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None
        self.attempts = 0
        self.done_at: float | None = None

    @property
    def pending(self) -> bool:
        return self._task is not None and not self._task.done()

    def request(self, reason: str) -> None:
        """Start cancelling (or go on: a running drive takes the newest reason)."""
        self._reason = reason
        if not self.pending:
            self._metrics.kill_switch_cancel_pending.set(1)
            self._task = asyncio.create_task(self._drive(), name="halt_cancel_all")

    async def _drive(self) -> None:
        cancelled = await self.retrying(
            lambda: self._cancel_all(self._reason),
            "halt_cancel_all_retry",
            "halt_cancel_all_failed",
        )
        self._done(cancelled)

    async def retrying(
        self, attempt: Callable[[], Awaitable[int]], retry_event: str, failed_event: str
    ) -> int:
        """`attempt` until one completes (its result returned); each failure is logged as
        `retry_event` (`failed_event`, with its traceback, when unexpected) and retried
        after a backoff doubling up to `max_retry_s`, or after the venue's `Retry-After`
        when it asked for longer. Unbounded: a caller with a budget bounds it."""
        delay = self._first
        while True:
            self.attempts += 1
            try:
                return await attempt()
            except EXPECTED_FAILURES as exc:  # the venue or the store failed: retry
                wait = max(delay, getattr(exc, "retry_after_s", None) or 0.0)
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.error(retry_event, error=self.last_error, retry_in_s=wait)
            except Exception as exc:  # anything else too: logged whole, and retried
                wait = delay
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.exception(failed_event, retry_in_s=wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, self._max)

    def _done(self, cancelled: int) -> None:
        self.last_error, self.done_at = None, self._clock()
        self._metrics.kill_switch_cancel_pending.set(0)
        log.critical("kill_switch_cancel_all_done", cancelled=cancelled, reason=self._reason)

    def status(self) -> dict[str, object]:
        return {
            "cancel_pending": self.pending,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "done_at": self.done_at,
        }

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])


class KillSwitchWatcher:
    def __init__(
        self,
        path: Path,
        keeper: StateKeeper,
        metrics: Metrics,
        canceller: CancelDriver,
        *,
        poll_interval_s: float,
        auto_resume: bool,
    ) -> None:
        self.path = path
        self._keeper = keeper
        self._metrics = metrics
        self._canceller = canceller
        self._poll = poll_interval_s
        self._auto_resume = auto_resume
        self.present = False
        self.folder_missing = False

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:  # the watcher outlives anything one check runs into
                log.exception("kill_switch_check_failed")
            await asyncio.sleep(self._poll)

    async def check(self) -> None:
        present = self.path.exists()
        self._metrics.kill_switch_active.set(1 if present else 0)
        self._watch_folder(present)
        appeared = present and not self.present
        self.present = present
        if appeared or (present and self._keeper.state is not TradingState.HALTED):
            await self.engage(read_reason(self.path), actor="kill_switch_file")
        elif not present and self._should_auto_resume():
            await self._keeper.set_state(
                TradingState.ACTIVE, "auto_resume", "kill-switch file removed"
            )
            log.warning("kill_switch_auto_resumed", path=str(self.path))

    def _watch_folder(self, present: bool) -> None:
        """Say once when the file's folder is gone (a `touch` of the file fails; `trader kill`
        creates the folder again, or signals) and once when it is back."""
        missing = not present and not self.path.parent.is_dir()
        if missing == self.folder_missing:
            return
        self.folder_missing = missing
        if missing:
            log.error(
                "kill_switch_folder_missing",
                path=str(self.path),
                problem="the kill-switch file's folder is gone: creating the file by hand "
                "fails; `trader kill` creates the folder again (or halts by SIGUSR1)",
            )
        else:
            log.warning("kill_switch_folder_back", path=str(self.path))

    async def engage(
        self, detail: str | None, actor: str, reason: str = KILL_SWITCH_REASON
    ) -> None:
        """HALTED in force at once, written (waiting at most PERSIST_WAIT_S), then cancels
        (and flattens, when configured). A signal-engaged halt has its own reason, which
        no file removal auto-resumes."""
        await self._keeper.halt(reason, detail, actor=actor, persist_wait_s=PERSIST_WAIT_S)
        log.critical("kill_switch_engaged", path=str(self.path), actor=actor)  # detail: above
        self._canceller.request(KILL_SWITCH_REASON)

    def _should_auto_resume(self) -> bool:
        status = self._keeper.status
        return (
            self._auto_resume
            and status.state is TradingState.HALTED
            and status.halt_reason == KILL_SWITCH_REASON
        )
