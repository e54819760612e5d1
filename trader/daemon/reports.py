"""What the running daemon reports (OPS-5): `/healthz`, `/readyz` and `/status`, from what
it holds in memory and, for `/status`, the state file (`daemon/status.py`, the document
`trader status` also builds when no daemon runs). A part of `Daemon` (`daemon/app.py`)."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from trader import __version__
from trader.config.load_limit import left_running_names
from trader.config.loader import LoadedConfig
from trader.core.clock import Clock
from trader.core.types import TradingState
from trader.daemon.cycle import CycleRunner
from trader.daemon.guard import StateGuard
from trader.daemon.killswitch import CancelDriver
from trader.daemon.status import iso, state_document, with_iso_times
from trader.daemon.trading.runtime import TradingRuntime
from trader.daemon.trading.venue_link import exchange_config
from trader.desk.keeper import StateKeeper
from trader.ops.lifecycle import Supervisor
from trader.ops.looplag import LoopLagMonitor
from trader.sim.venue import SimVenue
from trader.state.db import Database, StateUnavailableError


class DaemonReports:
    """Health, readiness and the status document of the daemon these fields belong to."""

    loaded: LoadedConfig
    clock: Clock
    started_at: float
    lag: LoopLagMonitor
    supervisor: Supervisor
    trading: TradingRuntime | None
    trading_error: str | None
    _db: Database | None
    _keeper: StateKeeper | None
    _guard: StateGuard | None
    _runner: CycleRunner | None
    _venue: SimVenue | None
    _canceller: CancelDriver

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
        if self._runner is not None:
            problems += self._runner.problems()
        if self._canceller.pending:
            problems.append(f"cancel-all pending: {self._canceller.last_error or 'running'}")
        if left := left_running_names():  # STR-2: it shares the interpreter with the loop
            names = ", ".join(left)
            problems.append(f"plugin code left running past its load limit: {names} (restart)")
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
