"""Clock offset to the exchange (EX-3).

The offset (exchange clock − local clock) is measured from `GET /time` at start and every
`interval_s`: the median of `samples` readings, each corrected for its round trip (the
server's stamp is compared with the midpoint of the request). It is exported as
`trader_clock_offset_seconds`, corrects every JWT's `nbf`, and `is_skewed()` tells the
daemon to refuse or halt LIVE (reason `clock_skew`) when |offset| > `max_clock_offset_ms`.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable

import structlog

from trader.core.clock import Clock
from trader.exchange.errors import ExchangeError
from trader.exchange.metrics import AdapterMetrics
from trader.exchange.models import ServerTime
from trader.ops.tasks import cancel_and_wait

log = structlog.get_logger("trader.exchange")


class ClockSync:
    """Measured offset to the exchange clock; `now()` is local time corrected by it."""

    def __init__(
        self,
        fetch_time: Callable[[], Awaitable[ServerTime]],
        metrics: AdapterMetrics,
        *,
        max_offset_ms: int = 1000,
        samples: int = 5,
        interval_s: float = 300.0,
        wall: Clock,
    ) -> None:
        self._fetch = fetch_time
        self._gauge = metrics.clock_offset
        self.max_offset_ms = max_offset_ms
        self.samples = max(1, samples)
        self.interval_s = interval_s
        self._wall = wall
        self.offset_s = 0.0
        self.measured_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    def now(self) -> float:
        """Local wall clock corrected to the exchange's."""
        return self._wall() + self.offset_s

    def is_skewed(self) -> bool:
        """True when |offset| exceeds `max_offset_ms` (LIVE must not trade: EX-3)."""
        return abs(self.offset_s) * 1000.0 > self.max_offset_ms

    async def measure(self) -> float:
        """Take `samples` readings and keep their median as the offset."""
        readings: list[float] = []
        for _ in range(self.samples):
            sent = self._wall()
            server = await self._fetch()
            received = self._wall()
            readings.append(server.epoch - (sent + received) / 2.0)
        self.offset_s = statistics.median(readings)
        self.measured_at = self._wall()
        self._gauge.set(self.offset_s)
        log.info("clock_offset_measured", offset_s=round(self.offset_s, 4), skewed=self.is_skewed())
        return self.offset_s

    async def run(self) -> None:
        """Re-measure every `interval_s`; a failed measurement keeps the last offset."""
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.measure()
            except ExchangeError as exc:
                log.warning("clock_offset_failed", error=str(exc))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="exchange-clock-sync")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None
