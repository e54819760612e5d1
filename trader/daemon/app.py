"""The daemon's life: start, run its tasks, stop (OPS-3, OPS-4, OPS-5, OPS-8, ST-2).

Startup after `kill -9` and a clean start are the same code path: open the store (WAL
recovers by itself), mark cycles the previous process left RUNNING as ABORTED, load the
persisted trading state (a HALT survives restarts), then start the tasks.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from typing import Any

import structlog

from trader import __version__
from trader.commands.exit_codes import EXIT_ENVIRONMENT, EXIT_GATE, EXIT_STATE
from trader.config.issues import ConfigError
from trader.config.loader import LoadedConfig, load_config
from trader.config.reload import needs_restart
from trader.config.secrets import Credentials
from trader.core.clock import Clock, wall_clock
from trader.core.types import Mode, TradingState
from trader.daemon.cycle import CycleRunner
from trader.daemon.guard import StateGuard
from trader.daemon.key_watch import KeyWatch, live_key_standing
from trader.daemon.killswitch import KILL_SIGNAL_REASON, CancelDriver, KillSwitchWatcher
from trader.daemon.pipeline import build_stages, defer_cancel_all
from trader.daemon.status import iso, state_document, with_iso_times
from trader.daemon.trading.runtime import TradingRuntime
from trader.daemon.trading.venue_link import exchange_config
from trader.daemon.venue import embedded_venue
from trader.desk.keeper import StateKeeper
from trader.exchange.errors import ExchangeError
from trader.ops.http import ListenerError, OpsServer
from trader.ops.lifecycle import DAEMON, OnFailure, Supervisor
from trader.ops.looplag import LoopLagMonitor
from trader.ops.metrics import Metrics
from trader.ops.sdnotify import SystemdNotifier
from trader.ops.tasks import run_step
from trader.sim.venue import SimVenue
from trader.state.cycles import abort_unfinished_cycles
from trader.state.db import Database, StateUnavailableError
from trader.state.identity import StateFileError, clear_adoption

log = structlog.get_logger("trader.daemon")

COMPONENT_FAILED = "component_failed"


class Daemon:
    def __init__(
        self,
        loaded: LoadedConfig,
        notifier: SystemdNotifier | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.loaded = loaded
        self.credentials = credentials
        self.key_standing = live_key_standing(loaded, credentials)  # LIVE: the venue's word
        self.refusal: str | None = None  # why the start was refused (exit 4), once it was
        self.trading: TradingRuntime | None = None
        self.trading_error: str | None = None
        self.metrics = Metrics()
        self.notifier = notifier or SystemdNotifier()
        self.clock: Clock = wall_clock
        self.started_at = self.clock()
        self.lag = LoopLagMonitor(self.metrics)
        self._stop = asyncio.Event()
        self._signals_seen = 0
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
        app = self.loaded.app
        self.metrics.up.set(1)
        self.metrics.info.info({"version": __version__, "mode": app.mode.value})
        self.metrics.set_mode(app.mode)
        if app.exchange.venue == "sim":
            self._venue = embedded_venue(self.loaded, self.clock)
            await self._venue.start()
        self._db = db = await Database.open_state(self.loaded.state_db_path, self.clock)
        aborted = await db.run(abort_unfinished_cycles(self.clock()))
        self._keeper = keeper = await StateKeeper.load(db, self.metrics, self.clock)
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
        await watcher.check()  # a file present at start halts before anything else runs
        self._http = OpsServer(self.metrics, self.status, self.health, self.readiness)
        port = await self._http.start(app.metrics.host, app.metrics.port)
        self._install_signal_handlers()
        spawn = self.supervisor.spawn
        spawn("loop_lag", self.lag.run, OnFailure.RESTART)
        spawn("kill_switch", watcher.run, OnFailure.STOP)
        spawn("state_sync", self._sync_state_forever, OnFailure.STOP)
        spawn("cycle", self._runner.run_forever, OnFailure.STOP)
        if app.exchange.venue != "none":
            spawn("trading_start", self._start_trading, OnFailure.RESTART)
        if self.key_standing is not None:
            watch = KeyWatch(self.key_standing, keeper, self._canceller, self._refuse_start)
            watch.venue_clock = lambda: self.trading.adapter.clock if self.trading else None
            spawn("key_watch", watch.run, OnFailure.HALT)
        if self.notifier.watchdog_interval_s:
            spawn("watchdog", self._watchdog_forever, OnFailure.RESTART)
        log.info(
            "daemon_started",
            version=__version__,
            mode=app.mode.value,
            pid=os.getpid(),
            venue=app.exchange.venue,
            config_hash=self.loaded.config_hash,
            metrics=f"http://{app.metrics.host}:{port}",
            state=keeper.state.value,
            halt_reason=keeper.status.halt_reason,
            aborted_cycles=aborted,
            venue_url=self._venue_url(),
            state_file=str(db.path),
            fresh_state=db.opening.fresh if db.opening else None,
        )
        await self._announce_adoption(db)
        self.notifier.notify("READY=1\nSTATUS=running")

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

    def _stop_for_component(self, name: str) -> None:
        """A component the daemon cannot run without failed: stop, exit 1."""
        if self._stop.is_set():
            return
        log.critical("daemon_stops", reason=f"component {name} failed")
        self._exit_code = 1
        self._stop.set()

    # -- signals -----------------------------------------------------------------------
    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))
        loop.add_signal_handler(signal.SIGUSR1, self._on_kill_signal)
        # no meaning here: logged, never the default action (ending the process at once,
        # without cancelling open orders)
        loop.add_signal_handler(
            signal.SIGUSR2, lambda: log.warning("signal_ignored", signal="SIGUSR2")
        )

    def _on_kill_signal(self) -> None:
        """OPS-4 without the file (`trader kill` on a read-only data directory)."""
        watcher = self._watcher
        if watcher is not None:
            self.supervisor.spawn(
                "kill_signal",
                lambda: watcher.engage(
                    "engaged by SIGUSR1 (trader kill)",
                    actor="kill_signal",
                    reason=KILL_SIGNAL_REASON,
                ),
                OnFailure.RESTART,
            )

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        self._signals_seen += 1
        if self._signals_seen > 1:
            log.critical("second_stop_signal_exiting_now", signal=sig.name)
            os._exit(1)
        log.warning("stop_requested", signal=sig.name)
        self._stop.set()

    async def reload(self) -> bool:
        """SIGHUP: adopt a new configuration when it validates and needs no restart."""
        try:
            fresh = await asyncio.to_thread(load_config, self.loaded.config_file)
        except ConfigError as exc:
            self.metrics.config_reloads.labels(result="rejected").inc()
            log.error("config_reload_rejected", issues=[str(i) for i in exc.issues])
            return False
        changed = needs_restart(self.loaded, fresh)
        if changed:
            self.metrics.config_reloads.labels(result="needs_restart").inc()
            log.error("config_reload_needs_restart", sections=changed)
            return False
        old_hash, self.loaded = self.loaded.config_hash, fresh
        if self._runner is not None:
            self._runner.reconfigure(fresh.app.cycle)
        if self.trading is not None:
            self.trading.reconfigure(fresh)
        self.metrics.config_reloads.labels(result="applied").inc()
        log.warning("config_reloaded", old_hash=old_hash, new_hash=fresh.config_hash)
        return True

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
        reporting not-ready meanwhile), so a venue outage never stops the daemon."""
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
                )
            except Exception as exc:  # crash-only: stay up, report not-ready, retry
                log.exception("trading_start_failed", error=str(exc), retry_in_s=delay)
                self.trading_error = f"{type(exc).__name__}: {exc}"[:300]
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        self.trading_error = None
        self._runner.add_stages(self.trading.stages())
        if self._keeper.state is TradingState.HALTED:  # a halt from before the venue was reachable
            self._canceller.request(f"halted at start ({self._keeper.status.halt_reason})")

    async def _cancel_all(self, reason: str) -> int:
        assert self._db is not None
        if self.trading is not None:
            return await self.trading.cancel_all(reason)
        return await defer_cancel_all(self._db, reason)

    # -- health and status -------------------------------------------------------------
    def health(self) -> tuple[bool, list[str]]:
        problems = self.lag.problems(self.loaded.app.metrics.loop_lag_unhealthy_s)
        return not problems, problems

    def readiness(self) -> tuple[bool, list[str]]:
        _, problems = self.health()
        if self._keeper is None:
            problems.append("starting")
        elif self._keeper.state is TradingState.HALTED:
            problems.append(f"halted: {self._keeper.status.halt_reason}")
        if self._guard is not None:
            problems += self._guard.problems()
        if self._canceller.pending:
            problems.append(f"cancel-all pending: {self._canceller.last_error or 'running'}")
        if self.loaded.app.exchange.venue != "none":
            if self.trading is not None:
                problems += self.trading.problems()
            else:
                problems.append(f"venue not connected: {self.trading_error or 'starting'}")
        return not problems, problems

    async def status(self) -> dict[str, Any]:
        """OPS-5 `/status`: served whatever the state file does (locked, lost, damaged) —
        what cannot be read from it is named, the rest comes from memory."""
        assert self._db is not None
        try:
            document = await self._db.run(state_document)
        except (StateUnavailableError, sqlite3.Error) as exc:
            document = {"state_read_error": str(exc)[:300]}
        if self._keeper is not None:  # what the daemon acts on, not a newer row it has yet to adopt
            current = self._keeper.status
            document.update(
                {
                    "state": current.state.value,
                    "halt_reason": current.halt_reason,
                    "halt_detail": current.halt_detail,
                    "halted_at": iso(current.halted_at),
                }
            )
        app = self.loaded.app
        document.update(
            {
                "running": True,
                "source": "daemon",
                "pid": os.getpid(),
                "version": __version__,
                "mode": app.mode.value,
                "venue": app.exchange.venue,
                "venue_url": self._venue_url(),
                "config_hash": self.loaded.config_hash,
                "started_at": iso(self.started_at),
                "uptime_s": round(self.clock() - self.started_at, 3),
                "kill_switch_file": self.loaded.kill_switch_path.exists(),
                "halt_cancel": self._canceller.status(),
                "halt_pending_write": self._keeper is not None and self._keeper.pending is not None,
            }
        )
        document["components"] = self.supervisor.status()
        if self._guard is not None:
            document["state_store"] = self._guard.status()
        if self.trading is not None:
            document["trading"] = self.trading.status()
        if self._runner is not None and self._runner.last_cycle is not None:
            document["last_cycle"] = with_iso_times(self._runner.last_cycle)
        return document

    def _venue_url(self) -> str | None:
        """The REST root the daemon talks to (the embedded venue's, once it listens)."""
        if self.loaded.app.exchange.venue == "none":
            return None
        if self.loaded.app.exchange.venue == "sim" and self._venue is None:
            return "embedded venue (not started)"
        return exchange_config(self.loaded, self._venue).rest_url

    # -- stop --------------------------------------------------------------------------
    async def _shutdown(self) -> None:
        """OPS-3: every step runs, whatever the one before ran into (a venue that does not
        answer, a state file that is locked or lost): each failure is one logged line."""
        self._stop.set()
        self.notifier.notify("STOPPING=1")
        await self.supervisor.stop(group=DAEMON)
        if self._db is not None:  # a cycle stopped midway is closed as such, not left RUNNING
            closing = abort_unfinished_cycles(self.clock())
            await run_step("close_cycle", self._db.run(closing))
        await self._canceller.stop()
        if self.trading is not None:  # nothing may send after the cancel-all below
            await run_step("trading_jobs_stop", self.trading.stop_jobs())
        if self.refusal is not None:  # the venue refuses the key: it cancels nothing
            log.warning("shutdown_cancel_skipped", reason="the venue refused the API key")
        elif self._db is not None and self.loaded.app.shutdown.cancel_open_orders:
            await run_step("cancel_all", self._cancel_all("shutdown"), self._cancel_budget())
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
        log.info("daemon_stopped", exit_code=self._exit_code)

    def _cancel_budget(self) -> float:
        return self.loaded.app.shutdown.timeout_s / 2
