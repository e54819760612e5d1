"""EX-3 in the daemon: the venue clock measured at start and then periodically; LIVE halts
with reason `clock_skew` beyond `exchange.max_clock_offset_ms`, and the halt cancels what
is open. The cancels go through whatever the measured offset says: the adapter signs on
the clock basis the venue accepts (`trader.exchange.clock`), so a `/time` answer hours off
and a local clock hours off both leave the venue able to take them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from trader.config.loader import LoadedConfig
from trader.core.types import Mode, TradingState
from trader.desk.keeper import StateKeeper
from trader.exchange.errors import ExchangeError
from trader.exchange.interface import Venue

log = structlog.get_logger("trader.trading")

CLOCK_SKEW = "clock_skew"
CLOCK_CHECK_S = 5.0


def skew_detail(adapter: Venue) -> str:
    return f"offset {adapter.clock.offset_s:.3f} s"


async def measure_at_start(adapter: Venue, loaded: LoadedConfig, keeper: StateKeeper) -> None:
    """Measured once before anything else; re-measured every `clock_check_interval_s` from
    then on, also when this first measurement failed (it is logged; the offset stays 0)."""
    adapter.clock.start()
    try:
        await adapter.clock.measure()
    except ExchangeError as exc:
        log.error("clock_offset_unmeasured", error=str(exc))
        return
    if loaded.app.mode is Mode.LIVE and adapter.clock.is_skewed():
        await keeper.halt(CLOCK_SKEW, skew_detail(adapter))


async def watch_clock(
    adapter: Venue, keeper: StateKeeper, request_cancel: Callable[[str], None]
) -> None:
    """LIVE: a periodic measurement beyond the bound halts trading and cancels what is
    open (`request_cancel`: the daemon's cancel-all, retried until the venue takes it)."""
    while True:
        await asyncio.sleep(CLOCK_CHECK_S)
        if adapter.clock.is_skewed() and keeper.state is not TradingState.HALTED:
            await keeper.halt(CLOCK_SKEW, skew_detail(adapter))
            request_cancel(CLOCK_SKEW)
