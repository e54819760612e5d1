"""The daemon's life: start, run its tasks, stop (OPS-3, OPS-4, OPS-5, OPS-8, ST-2).

Startup after `kill -9` and a clean start are the same code path: open the store (WAL
recovers by itself), mark cycles the previous process left RUNNING as ABORTED, load the
persisted trading state (a HALT survives restarts), then start the tasks.
"""

from __future__ import annotations

import asyncio
import os

import structlog

from trader import __version__
from trader.commands.exit_codes import (
    EXIT_CONFIG,
    EXIT_ENVIRONMENT,
    EXIT_GATE,
    EXIT_ORDERS_LEFT,
    EXIT_STATE,
)
from trader.config.hosts import url_host
from trader.config.loader import LoadedConfig
from trader.config.secrets import Credentials
from trader.core.clock import Clock, wall_clock
from trader.core.types import Mode, TradingState
from trader.daemon.cycle import CycleRunner
from trader.daemon.guard import StateGuard
from trader.daemon.key_watch import KeyWatch, live_key_standing
from trader.daemon.killswitch import CancelDriver, KillSwitchWatcher
from trader.daemon.pipeline import build_stages, defer_cancel_all
from trader.daemon.reports import DaemonReports
from trader.daemon.signals import DaemonSignals
from trader.daemon.stop_cancel import cancel_within
from trader.daemon.trading.runtime import TradingRuntime
from trader.daemon.venue import embedded_venue
from trader.desk.keeper import StateKeeper
from trader.exchange.errors import ExchangeError
from trader.ops.early_stop import EarlyStop
from trader.ops.http import ListenerError, OpsServer
from trader.ops.lifecycle import DAEMON, OnFailure, Supervisor
from trader.ops.looplag import LoopLagMonitor
from trader.ops.metrics import Metrics
from trader.ops.pidlock import PidLock
from trader.ops.sdnotify import SystemdNotifier
from trader.ops.tasks import run_step
from trader.sim.venue import SimVenue
from trader.state.cycles import abort_unfinished_cycles
from trader.state.db import Database, StateUnavailableError
from trader.state.identity import StateFileError, clear_adoption
from trader.strategies.base import StrategyError
from trader.universe.plugin import FilterError

log = structlog.get_logger("trader.daemon")

COMPONENT_FAILED = "component_failed"
# the longest a halt's cancel-all (kill switch, automatic halts) waits for the venue's list
# of open orders before it cancels the orders the state file knows (and retries the list)
HALT_LIST_LIMIT_S = 2.0


class Daemon(DaemonReports, DaemonSignals):
    def __init__(
        self,
        loaded: LoadedConfig,
        notifier: SystemdNotifier | None = None,
        credentials: Credentials | None = None,
        early_stop: EarlyStop | None = None,
        pid_lock: PidLock | None = None,
    ) -> None:
        """`early_stop`: the stop signals heard before the event loop ran (commands/run.py);
        `pid_lock`: the lock held for this process, where the bound metrics port is noted."""
        self.loaded = loaded
        self.credentials = credentials
        self.key_standing = live_key_standing(loaded, credentials)  # LIVE: the venue's word
        self.refusal: str | None = None  # why the start was refused (exit 4), once it was
        self.build_refusal: str | None = None  # the user's code that did not build (exit 2)
        self.trading: TradingRuntime | None = None
        self.trading_error: str | None = None
        self.metrics = Metrics()
        self.notifier = notifier or SystemdNotifier()
        self.clock: Clock = wall_clock
        self.started_at = self.clock()
        self.lag = LoopLagMonitor(self.metrics)
        self._stop = asyncio.Event()
        self._early_stop = early_stop
        self._pid_lock = pid_lock
        self._started = False  # `daemon_started` logged: a stop from now on is no start-up's
        self._aborted = 0  # cycles a previous process left RUNNING, closed at start
        self._port: int | None = None  # the metrics port bound
        self._signals_seen = 0
        self._reload_wanted = False
        self._reloading: asyncio.Task[None] | None = None
        self.supervisor = Supervisor(
            self.metrics,
            self.clock,
            halt=self._halt_for_component,
            stop=self._stop_for_component,
            waits_on=(StateUnavailableError, ExchangeError),
        )
        self._db: Database | None = None
        self._keeper: StateKeeper | None = None
        self._runner: CycleRunner | None = None
        self._http: OpsServer | None = None
        self._venue: SimVenue | None = None
        self._watcher: KillSwitchWatcher | None = None
        self._canceller = CancelDriver(self._cancel_all, self.metrics, clock=self.clock)
        self._guard: StateGuard | None = None
        self._exit_code = 0

    @property
    def exit_code(self) -> int:
        """The code `daemon_stopped` logs (and the process must exit with)."""
        return self._exit_code

    # -- start -------------------------------------------------------------------------
    async def run(self) -> int:
        self._install_stop_handlers()
        if self._early_stop is not None and self._early_stop.signal is not None:
            self._stop_requested(self._early_stop.signal)
        try:
            await self._start()
            await self._stop.wait()
        except StateFileError as exc:  # ST-3: one line, an exit code systemd leaves alone
            log.critical("state_file_unusable", error=str(exc))
            self._exit_code = EXIT_STATE
            raise
        except ListenerError as exc:
            log.critical("start_refused", error=str(exc))
            self._exit_code = EXIT_ENVIRONMENT
            raise
        except BaseException:
            self._exit_code = self._exit_code or 1
            raise
        finally:
            await self._shutdown()
        return self._exit_code

    async def _start(self) -> None:
        """Its steps; a stop asked for during one ends the start after it (nothing
        half-done: `_shutdown` closes what the steps opened)."""
        app = self.loaded.app
        self.metrics.up.set(1)
        self.metrics.info.info({"version": __version__, "mode": app.mode.value})
        self.metrics.set_mode(app.mode)
        for step in (self._open_venue, self._open_state, self._open_listener):
            await step()
            if self._stop.is_set():
                return
        db, keeper, runner, watcher = self._db, self._keeper, self._runner, self._watcher
        assert db is not None and keeper is not None and runner and watcher is not None
        spawn = self.supervisor.spawn
        await self._install_signal_handlers()
        if self._stop.is_set():
            return
        spawn("loop_lag", self.lag.run, OnFailure.RESTART)
        spawn("kill_switch", watcher.run, OnFailure.STOP)
        spawn("state_sync", self._sync_state_forever, OnFailure.STOP)
        spawn("cycle", runner.run_forever, OnFailure.STOP)
        if app.exchange.venue != "none":
            spawn("trading_start", self._start_trading, OnFailure.RESTART)
        if self.key_standing is not None:
            watch = KeyWatch(self.key_standing, keeper, self._canceller, self._refuse_start)
            watch.venue_clock = lambda: self.trading.adapter.clock if self.trading else None
            spawn("key_watch", watch.run, OnFailure.HALT)
        if self.notifier.watchdog_interval_s:
            spawn("watchdog", self._watchdog_forever, OnFailure.RESTART)
        self._started = True
        log.info(
            "daemon_started",
            version=__version__,
            mode=app.mode.value,
            pid=os.getpid(),
            venue=app.exchange.venue,
            config_hash=self.loaded.config_hash,
            metrics=f"http://{url_host(app.metrics.host)}:{self._port}",
            state=keeper.state.value,
            halt_reason=keeper.status.halt_reason,
            aborted_cycles=self._aborted,
            venue_url=self._venue_url(),
            state_file=str(db.path),
            fresh_state=db.opening.fresh if db.opening else None,
        )
        await self._announce_adoption(db)
        self.notifier.notify("READY=1\nSTATUS=running")

    async def _open_venue(self) -> None:
        if self.loaded.app.exchange.venue == "sim":
            self._venue = embedded_venue(self.loaded, self.clock)
            await self._venue.start()

    async def _open_state(self) -> None:
        """The state file, its unfinished cycles closed, the trading state, the kill switch
        (a file present at start halts before anything else runs)."""
        app = self.loaded.app
        self._db = db = await Database.open_state(self.loaded.state_db_path, self.clock)
        try:  # the start's first writes: a lock held on, or a full disk, is exit 5
            self._aborted = await db.run(abort_unfinished_cycles(self.clock()))
            self._keeper = keeper = await StateKeeper.load(db, self.metrics, self.clock)
        except StateUnavailableError as exc:
            raise StateFileError(exc.why) from exc
        self._guard = StateGuard(db, keeper, self.metrics, self._canceller, self.clock)
        self._runner = CycleRunner(
            db,
            self.metrics,
            build_stages(db),
            config_hash=lambda: self.loaded.config_hash,
            mode=app.mode.value,
            interval_s=app.cycle.interval_s,
            jitter_pct=app.cycle.jitter_pct,
            align=app.cycle.align_to_interval,
            offset_s=app.cycle.offset_s,
            clock=self.clock,
        )
        self._watcher = watcher = KillSwitchWatcher(
            self.loaded.kill_switch_path,
            keeper,
            self.metrics,
            self._canceller,
            poll_interval_s=app.kill_switch.poll_interval_s,
            auto_resume=app.kill_switch.auto_resume,
        )
        await watcher.check()

    async def _open_listener(self) -> None:
        """The operator's HTTP listener; its port (the one the OS chose for port 0) is
        noted beside the PID lock, where `trader status` looks for it."""
        metrics = self.loaded.app.metrics
        self._http = OpsServer(self.metrics, self.status, self.health, self.readiness)
        self._port = await self._http.start(metrics.host, metrics.port)
        if self._pid_lock is not None:
            try:
                await asyncio.to_thread(self._pid_lock.note_port, self._port)
            except OSError as exc:  # `trader status` then reads the state file instead
                log.warning("metrics_port_not_noted", error=str(exc)[:300])

    async def _announce_adoption(self, db: Database) -> None:
        """ST-3: a LIVE state that needs adoption sends nothing until `trader adopt`; PAPER
        and DRY_RUN have nothing at a venue to adopt and start over, with a warning."""
        reason = db.opening.adoption_reason if db.opening else None
        if reason is None:
            return
        if self.loaded.app.mode is Mode.LIVE:
            log.critical(
                "adoption_required",
                reason=reason,
                action="stop the daemon and run `trader adopt` (README: State file)",
            )
            return
        await db.run(clear_adoption)
        log.warning("state_starts_over", reason=reason, mode=self.loaded.app.mode.value)

    async def _halt_for_component(self, detail: str) -> None:
        """A component that guards money failed: halt trading, cancel what is open."""
        if self._keeper is not None:
            await self._keeper.halt(COMPONENT_FAILED, detail[:500])
        self._canceller.request(f"{COMPONENT_FAILED}: {detail}"[:300])

    def _refuse_start(self, refusal: str) -> None:
        """The venue refused the key before it ever accepted it: stop, exit 4."""
        self.refusal = refusal
        self._exit_code = EXIT_GATE
        self._stop.set()

    def _refuse_build(self, problem: str) -> None:
        """The user's strategy or filter did not build at start: stop, exit 2."""
        log.critical("trading_start_refused", error=problem, exit_code=EXIT_CONFIG)
        self.build_refusal = problem
        self._exit_code = EXIT_CONFIG
        self._stop.set()

    def _stop_for_component(self, name: str) -> None:
        """A component the daemon cannot run without failed: stop, exit 1."""
        if self._stop.is_set():
            return
        log.critical("daemon_stops", reason=f"component {name} failed")
        self._exit_code = 1
        self._stop.set()

    # -- periodic work -----------------------------------------------------------------
    async def _sync_state_forever(self) -> None:
        """Each second: the state file's identity and health (ST-3), then adopt operator
        changes. Nothing here may end the task: a locked or lost file is reported."""
        assert self._keeper is not None and self._guard is not None
        while True:
            await asyncio.sleep(1.0)
            try:
                await self._guard.check()
                await self._keeper.sync()
            except StateUnavailableError:
                continue  # reported by the guard; the sync is retried in a second
            except Exception:
                log.exception("state_sync_failed")

    async def _watchdog_forever(self) -> None:
        interval = self.notifier.watchdog_interval_s or 1.0
        while True:
            problems = self.lag.problems(self.loaded.app.metrics.loop_lag_unhealthy_s)
            if not problems:
                self.notifier.notify("WATCHDOG=1")
            await asyncio.sleep(interval)

    async def _start_trading(self) -> None:
        """Connect to the venue and start trading; retried until it works (OPS-5 keeps
        reporting not-ready meanwhile), so a venue outage never stops the daemon. A user's
        strategy or filter that does not build (it raises, or overruns its limit and is
        left running) is no outage: a retry would do the same, so the daemon stops, exit 2."""
        assert self._db is not None and self._keeper is not None and self._runner is not None
        delay = 1.0
        while self.trading is None:
            try:
                self.trading = await TradingRuntime.start(
                    self.loaded,
                    self._db,
                    self.metrics,
                    self._keeper,
                    self._venue,
                    self.credentials,
                    self.clock,
                    self.supervisor,
                    key_standing=self.key_standing,
                    request_cancel=self._canceller.request,
                )
            except (StrategyError, FilterError) as exc:
                self._refuse_build(str(exc))
                return
            except Exception as exc:  # crash-only: stay up, report not-ready, retry
                log.exception("trading_start_failed", error=str(exc), retry_in_s=delay)
                self.trading_error = f"{type(exc).__name__}: {exc}"[:300]
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        self.trading_error = None
        self._runner.add_stages(self.trading.stages())
        if self._keeper.state is TradingState.HALTED:  # a halt from before the venue was reachable
            self._canceller.request(f"halted at start ({self._keeper.status.halt_reason})")

    async def _cancel_all(self, reason: str, *, list_limit_s: float = HALT_LIST_LIMIT_S) -> int:
        """The cancel-all of a halt or a stop; a venue whose list of open orders does not
        answer within `list_limit_s` still gets the known orders cancelled (OPS-3, OPS-4)."""
        assert self._db is not None
        if self.trading is not None:
            return await self.trading.cancel_all(reason, list_limit_s=list_limit_s)
        return await defer_cancel_all(self._db, reason)

    # -- stop --------------------------------------------------------------------------
    async def _shutdown(self) -> None:
        """OPS-3: every step runs, whatever the one before ran into (a venue that does not
        answer, a state file that is locked or lost): each failure is one logged line."""
        self._stop.set()
        self.notifier.notify("STOPPING=1")
        await self._stop_reloads()
        await self.supervisor.stop(group=DAEMON)
        if self._db is not None:  # a cycle stopped midway is closed as such, not left RUNNING
            closing = abort_unfinished_cycles(self.clock())
            await run_step("close_cycle", self._db.run(closing))
        await self._canceller.stop()
        if self.trading is not None:  # nothing may send after the cancel-all below
            await run_step("trading_jobs_stop", self.trading.stop_jobs())
            await run_step("market_data_stop", self.trading.stop_market_data())
        if self.refusal is not None:  # the venue refuses the key: it cancels nothing
            log.warning("shutdown_cancel_skipped", reason="the venue refused the API key")
        elif self._db is not None and self.loaded.app.shutdown.cancel_open_orders:
            await run_step("cancel_all", self._cancel_at_stop(self._db))
        if self.trading is not None:
            await run_step("trading_stop", self.trading.stop())
        if self._http is not None:
            await run_step("http_stop", self._http.stop())
        if self._venue is not None:
            await run_step("venue_stop", self._venue.stop())
        if self._guard is not None and self._guard.lost is not None:
            await self._guard.save_copy()  # the last word of a state file lost while running
        if self._db is not None:
            await run_step("state_close", self._db.close())
        self.metrics.up.set(0)
        if not self._started:
            self._report_signals_not_applied()
        during = {} if self._started else {"during": "start-up"}
        log.info("daemon_stopped", exit_code=self._exit_code, **during)

    async def _cancel_at_stop(self, db: Database) -> None:
        """Retried within the budget; what may be left open is named, exit 7."""

        async def cancel(list_limit_s: float) -> int:
            return await self._cancel_all("shutdown", list_limit_s=list_limit_s)

        if not await cancel_within(self._canceller, cancel, db, self._cancel_budget()):
            self._exit_code = self._exit_code or EXIT_ORDERS_LEFT

    def _cancel_budget(self) -> float:
        return self.loaded.app.shutdown.timeout_s / 2
