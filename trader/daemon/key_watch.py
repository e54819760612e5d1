"""LIVE: an API key the venue refuses (OPS-2, EX-1).

The adapter judges the venue's answers (`trader.exchange.key_standing`): only a refusal
that persists counts, never a transient 401. What follows depends on whether the venue
ever accepted the key in this process:

- never (the start): nothing was or could be sent with it, so the daemon stops with exit 4
  and one line (`LIVE refused: the venue refused the API key (HTTP 401): key ...`; refused
  on both clock bases, it names the clock offset and the system clock too); the
  state file is left as it was, and orders still open at the venue from an earlier run
  are reconciled by the next start with a key that works;
- it did (the key was revoked or disabled while running, with orders and positions to
  watch): the venue clock is measured again first (a wall clock stepped under the daemon
  makes tokens the venue refuses too; a skew then halts as `clock_skew`, never as a
  refused key: the clock watch's halt and cancel-all), and refusals that go on after that
  halt trading, reason `api_key_rejected` with the line as detail;
  the cancel-all is retried until the venue accepts the key again. `trader resume`
  leaves the halt; while the key is still refused the watch halts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog

from trader.config.loader import LoadedConfig
from trader.config.secrets import Credentials
from trader.core.types import Mode, TradingState
from trader.daemon.killswitch import CancelDriver
from trader.desk.keeper import StateKeeper
from trader.exchange.errors import ExchangeError
from trader.exchange.interface import VenueClock
from trader.exchange.key_standing import KeyStanding

log = structlog.get_logger("trader.daemon")

KEY_REJECTED = "api_key_rejected"
CHECK_S = 1.0


def live_key_standing(loaded: LoadedConfig, credentials: Credentials | None) -> KeyStanding | None:
    """The standing of the operator's key in LIVE (None: nothing to watch)."""
    if credentials is None or loaded.app.mode is not Mode.LIVE:
        return None
    return KeyStanding(credentials.describe())


class KeyWatch:
    def __init__(
        self,
        standing: KeyStanding,
        keeper: StateKeeper,
        canceller: CancelDriver,
        refuse_start: Callable[[str], None],
    ) -> None:
        """`refuse_start`: stops the daemon with the refusal's line (exit 4)."""
        self.standing = standing
        self._keeper = keeper
        self._canceller = canceller
        self._refuse_start = refuse_start
        # the venue adapter's clock, once trading has started
        self.venue_clock: Callable[[], VenueClock | None] = lambda: None
        self._measured_at: float | None = None  # the last re-measurement (monotonic)

    async def run(self) -> None:
        while not await self.check():
            await asyncio.sleep(CHECK_S)

    async def check(self) -> bool:
        """True once the start was refused: nothing is left to watch."""
        refusal = self.standing.rejection()
        if refusal is None:
            return False
        if not self.standing.accepted_once:
            log.critical(KEY_REJECTED, error=refusal, action="not trading: the daemon stops")
            self._refuse_start(refusal)
            return True
        if self._keeper.state is TradingState.HALTED or not await self._refused_after_measuring():
            return False
        clock = self.venue_clock()
        if clock is not None and clock.is_skewed():  # the clock watch halts: `clock_skew`
            return False
        log.critical(KEY_REJECTED, error=refusal, action="trading halts")
        await self._keeper.halt(KEY_REJECTED, refusal[:500])
        self._canceller.request(KEY_REJECTED)
        return False

    async def _refused_after_measuring(self) -> bool:
        """True when the venue clock was measured again during this streak of refusals
        and the key was refused after that; otherwise it is measured now."""
        since = self.standing.refused_since
        last = self.standing.last_refused_at
        measured = self._measured_at
        if measured is not None and since is not None and measured >= since:
            return last is not None and last > measured
        clock = self.venue_clock()
        if clock is not None:
            with contextlib.suppress(ExchangeError):  # counted and logged by the clock
                await clock.measure()
        self._measured_at = time.monotonic()
        return False
