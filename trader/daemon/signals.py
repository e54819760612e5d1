"""The daemon's signals (OPS-3, OPS-4): SIGTERM/SIGINT stop it, SIGHUP reloads the
configuration, SIGUSR1 engages the kill switch, SIGUSR2 is logged and ignored. The ones
heard while it started (`EarlyStop.later`) are applied once it has: one
`signal_during_start_up` line each, saying what was done — or, when the start was
stopped, that nothing was. A part of `Daemon` (`daemon/app.py`)."""

from __future__ import annotations

import asyncio
import os
import signal

import structlog

from trader.config.issues import ConfigError
from trader.config.loader import LoadedConfig, load_config
from trader.config.reload import needs_restart
from trader.daemon.cycle import CycleRunner
from trader.daemon.killswitch import KILL_SIGNAL_REASON, KillSwitchWatcher
from trader.daemon.trading.runtime import TradingRuntime
from trader.daemon.trading.strategy_thread import build_filters, build_registry
from trader.ops.early_stop import STOP_SIGNALS, EarlyStop
from trader.ops.lifecycle import OnFailure, Supervisor
from trader.ops.metrics import Metrics
from trader.strategies.base import StrategyError
from trader.universe.plugin import FilterError

log = structlog.get_logger("trader.daemon")

KILL_SIGNAL_DETAIL = "engaged by SIGUSR1 (trader kill)"
AFTER_START = {
    signal.SIGHUP: "configuration reloaded once started",
    signal.SIGUSR1: "kill switch engaged once started",
    signal.SIGUSR2: "ignored",
}
NOT_APPLIED = "none: the start was stopped"


class DaemonSignals:
    """The signal handlers of the daemon these fields belong to."""

    loaded: LoadedConfig
    metrics: Metrics
    supervisor: Supervisor
    trading: TradingRuntime | None
    _runner: CycleRunner | None
    _watcher: KillSwitchWatcher | None
    _early_stop: EarlyStop | None
    _stop: asyncio.Event
    _signals_seen: int
    _reload_wanted: bool  # a SIGHUP not yet acted on by a reload that began after it
    _reloading: asyncio.Task[None] | None

    def _install_stop_handlers(self) -> None:
        """First thing in the event loop: SIGTERM and SIGINT (heard since the command
        began, see `EarlyStop`) stop the daemon, at whatever step of the start it is."""
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, self._on_stop_signal, sig)

    async def _install_signal_handlers(self) -> None:
        """Once started: the other signals, then those heard while it started (noted
        until the handlers above took over, none lost between)."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, self._on_reload_signal)
        loop.add_signal_handler(signal.SIGUSR1, self._on_kill_signal)
        # no meaning here: logged, never the default action (ending the process at once,
        # without cancelling open orders)
        loop.add_signal_handler(
            signal.SIGUSR2, lambda: log.warning("signal_ignored", signal="SIGUSR2")
        )
        for sig in self._early_stop.take_later() if self._early_stop else []:
            log.warning("signal_during_start_up", signal=sig.name, action=AFTER_START[sig])
            if sig is signal.SIGHUP:
                await self.reload()
            elif sig is signal.SIGUSR1 and self._watcher is not None:
                await self._watcher.engage(
                    KILL_SIGNAL_DETAIL, actor="kill_signal", reason=KILL_SIGNAL_REASON
                )

    def _report_signals_not_applied(self) -> None:
        """The start was stopped: what was heard meanwhile was not acted on."""
        if self._early_stop is not None:
            report_not_applied(self._early_stop)

    def _on_kill_signal(self) -> None:
        """OPS-4 without the file (`trader kill` on a read-only data directory)."""
        watcher = self._watcher
        if watcher is not None:
            self.supervisor.spawn(
                "kill_signal",
                lambda: watcher.engage(
                    KILL_SIGNAL_DETAIL, actor="kill_signal", reason=KILL_SIGNAL_REASON
                ),
                OnFailure.RESTART,
            )

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        self._signals_seen += 1
        if self._signals_seen > 1:
            log.critical("second_stop_signal_exiting_now", signal=sig.name)
            os._exit(1)
        self._stop_requested(sig)

    def _stop_requested(self, sig: signal.Signals) -> None:
        log.warning("stop_requested", signal=sig.name)
        self._stop.set()

    def _on_reload_signal(self) -> None:
        """SIGHUP: one reload at a time. Those heard while one runs make one more after it,
        so the files adopted are never older than the last signal, and two reloads never
        load the user's plugin files at once."""
        self._reload_wanted = True
        if self._reloading is None:
            self._reloading = asyncio.ensure_future(self._reload_while_wanted())

    async def _reload_while_wanted(self) -> None:
        try:
            while self._reload_wanted and not self._stop.is_set():
                self._reload_wanted = False
                await self.reload()
        finally:
            self._reloading = None

    async def _stop_reloads(self) -> None:
        """A stop: a reload under way is abandoned (the running configuration stays)."""
        if (reloading := self._reloading) is not None:
            reloading.cancel()
            await asyncio.gather(reloading, return_exceptions=True)

    async def reload(self) -> bool:
        """SIGHUP: adopt a new configuration when it validates and needs no restart."""
        try:
            fresh = await asyncio.to_thread(load_config, self.loaded.config_file)
        except ConfigError as exc:
            self.metrics.config_reloads.labels(result="rejected").inc()
            log.error("config_reload_rejected", issues=[str(i) for i in exc.issues])
            return False
        except Exception as exc:  # noqa: BLE001 -- a load failing outside its checks: one line
            self.metrics.config_reloads.labels(result="rejected").inc()
            log.error("config_reload_rejected", issues=[f"{type(exc).__name__}: {exc}"])
            return False
        changed = needs_restart(self.loaded, fresh)
        if changed:
            self.metrics.config_reloads.labels(result="needs_restart").inc()
            log.error("config_reload_needs_restart", sections=changed)
            return False
        if self.trading is not None:
            try:
                registry = await build_registry(fresh.strategies, fresh.plugins)
                built = await build_filters(fresh.filters, fresh.universe.load_limit_s)
                self.trading.reconfigure(fresh, registry, built)
            except (StrategyError, FilterError) as exc:  # built at load, failing now: old kept
                self.metrics.config_reloads.labels(result="rejected").inc()
                log.error("config_reload_rejected", issues=[str(exc)])
                return False
        old_hash, self.loaded = self.loaded.config_hash, fresh
        if self._runner is not None:
            self._runner.reconfigure(fresh.app.cycle)
        self.metrics.config_reloads.labels(result="applied").inc()
        log.warning("config_reloaded", old_hash=old_hash, new_hash=fresh.config_hash)
        return True


def report_not_applied(early: EarlyStop) -> None:
    """One `signal_during_start_up` line for each signal heard in a start that was stopped."""
    for sig in early.take_later():
        log.warning("signal_during_start_up", signal=sig.name, action=NOT_APPLIED)
