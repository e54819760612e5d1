"""Kill switch watcher (OPS-4), on its own task so it never waits for a cycle.

Within one poll interval of the file appearing: HALTED with reason `kill_switch` is
persisted, a CRITICAL line is logged, `trader_kill_switch_active` is 1, and the cancel-all
hook runs. Removing the file does not resume, unless `kill_switch.auto_resume` is set.
The file's text, if any, is kept as the halt's detail (`trader kill --reason ...`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

from trader.core.types import TradingState
from trader.daemon.keeper import StateKeeper
from trader.ops.metrics import Metrics

log = structlog.get_logger("trader.kill_switch")

KILL_SWITCH_REASON = "kill_switch"
CancelAll = Callable[[str], Awaitable[int]]


def read_reason(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None
    return text[:500] or None


class KillSwitchWatcher:
    def __init__(
        self,
        path: Path,
        keeper: StateKeeper,
        metrics: Metrics,
        cancel_all: CancelAll,
        *,
        poll_interval_s: float,
        auto_resume: bool,
    ) -> None:
        self.path = path
        self._keeper = keeper
        self._metrics = metrics
        self._cancel_all = cancel_all
        self._poll = poll_interval_s
        self._auto_resume = auto_resume
        self.present = False

    async def run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self._poll)

    async def check(self) -> None:
        present = self.path.exists()
        self._metrics.kill_switch_active.set(1 if present else 0)
        appeared = present and not self.present
        self.present = present
        if appeared or (present and self._keeper.state is not TradingState.HALTED):
            await self._trip()
        elif not present and self._should_auto_resume():
            await self._keeper.set_state(
                TradingState.ACTIVE, "auto_resume", "kill-switch file removed"
            )
            log.warning("kill_switch_auto_resumed", path=str(self.path))

    def _should_auto_resume(self) -> bool:
        status = self._keeper.status
        return (
            self._auto_resume
            and status.state is TradingState.HALTED
            and status.halt_reason == KILL_SWITCH_REASON
        )

    async def _trip(self) -> None:
        detail = read_reason(self.path)
        await self._keeper.halt(KILL_SWITCH_REASON, detail, actor="kill_switch_file")
        log.critical("kill_switch_engaged", path=str(self.path), detail=detail)
        cancelled = await self._cancel_all(KILL_SWITCH_REASON)
        log.critical("kill_switch_cancel_all_done", cancelled=cancelled)
