"""Clock offset to the exchange (EX-3), and the clock JWTs are signed with.

The offset (exchange clock − local clock) is measured from `GET /time` at start and every
`interval_s`: the median of `samples` readings, each corrected for its round trip (the
server's stamp is compared with the midpoint of the request), so fewer than half of them
far off move nothing; a reading that fails or is no time at all is left out. It is
exported as `trader_clock_offset_seconds`, and `is_skewed()` tells the daemon to refuse or
halt LIVE (reason `clock_skew`) when |offset| > `max_clock_offset_ms`. A measurement left
with no more than half of its readings fails and keeps the last offset; it is counted
(`trader_clock_offset_failures_total`) and logged once per run of failures.

JWTs carry `nbf`/`exp` on a *signing basis*: the local clock corrected by the measured
offset (`measured`, the start) or the local clock alone (`local`). Either can be the
wrong one: a `/time` answer hours off while the venue checks tokens on its true clock, or
a local clock hours off. While the two differ by more than the bound, a private request
refused with a new token too is sent once more on the other basis (the HTTP client), and
the basis the venue accepted is kept (`signing_clock_switched`, WARNING, both offsets).
`now()` — the venue's time for GTD end times — follows the basis in use.

The local wall clock can step between two measurements (NTP, an operator's `date`, a
machine resumed). The measured basis follows such a step at once: what the wall clock moved
since the measurement beyond the time that passed (`CLOCK_BOOTTIME`, which counts a
suspended machine's sleep too) is taken off the offset. Without that, a wall clock stepped
back home after a measurement signed every token off by the step until the next one (a
stop's cancel-all refused). The skew check keeps the measured offset.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum

import structlog

from trader.core.clock import Clock
from trader.exchange.errors import ExchangeError
from trader.exchange.metrics import AdapterMetrics
from trader.exchange.models import ServerTime
from trader.ops.tasks import cancel_and_wait

log = structlog.get_logger("trader.exchange")


def elapsed_clock() -> float:
    """Seconds that pass, the machine's sleep included (monotonic where there is no
    `CLOCK_BOOTTIME`)."""
    if hasattr(time, "CLOCK_BOOTTIME"):
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    return time.monotonic()


class SigningBasis(StrEnum):
    MEASURED = "measured"  # the local clock corrected by the measured offset
    LOCAL = "local"  # the local clock alone


class ClockSync:
    """Measured offset to the exchange clock; `now()` is local time on the signing basis."""

    def __init__(
        self,
        fetch_time: Callable[[], Awaitable[ServerTime]],
        metrics: AdapterMetrics,
        *,
        max_offset_ms: int = 1000,
        samples: int = 5,
        interval_s: float = 300.0,
        wall: Clock,
        elapsed: Clock = elapsed_clock,
    ) -> None:
        self._fetch = fetch_time
        self._gauge = metrics.clock_offset
        self._failures = metrics.clock_failures
        self.max_offset_ms = max_offset_ms
        self.samples = max(1, samples)
        self.interval_s = interval_s
        self._wall = wall
        self._elapsed = elapsed
        self.offset_s = 0.0
        self.measured_at: float | None = None
        self._measured_elapsed = 0.0  # `elapsed` at `measured_at`
        self.basis = SigningBasis.MEASURED
        self.failing_since: float | None = None  # the first failure of the current run
        self._task: asyncio.Task[None] | None = None

    def now(self) -> float:
        """Local wall clock corrected to the exchange's, on the signing basis."""
        return self._wall() + self.signing_offset_s()

    def signing_offset_s(self, basis: SigningBasis | None = None) -> float:
        """The offset JWTs get on `basis` (None: the basis in use)."""
        chosen = basis or self.basis
        if chosen is not SigningBasis.MEASURED:
            return 0.0
        return self.offset_s - self.wall_step_s()

    def wall_step_s(self) -> float:
        """How far the local wall clock moved since the measurement beyond the time that
        passed: a step (0 before any measurement)."""
        if self.measured_at is None:
            return 0.0
        moved = self._wall() - self.measured_at
        return moved - (self._elapsed() - self._measured_elapsed)

    def other_basis(self, refused: SigningBasis) -> SigningBasis | None:
        """The basis worth one more try after `refused` was refused, None while the two
        differ by less than the bound (the venue's refusal is then not the clock's)."""
        if not self.is_skewed():
            return None
        return SigningBasis.LOCAL if refused is SigningBasis.MEASURED else SigningBasis.MEASURED

    def accepted(self, basis: SigningBasis) -> None:
        """The venue accepted a token signed on `basis`: it is the one used from now on."""
        if basis is self.basis:
            return
        refused = self.signing_offset_s()
        self.basis = basis
        log.warning(
            "signing_clock_switched",
            basis=basis.value,
            offset_s=round(self.signing_offset_s(), 3),
            refused_offset_s=round(refused, 3),
            measured_offset_s=round(self.offset_s, 3),
        )

    def is_skewed(self) -> bool:
        """True when |offset| exceeds `max_offset_ms` (LIVE must not trade: EX-3)."""
        return abs(self.offset_s) * 1000.0 > self.max_offset_ms

    async def measure(self) -> float:
        """Take `samples` readings and keep their median as the offset. A reading that
        fails (no answer, not a time) is left out; with no more than half of them left the
        measurement fails and keeps the last offset (counted, logged once per run of
        failures), raising the last error."""
        readings: list[float] = []
        error: ExchangeError | None = None
        for _ in range(self.samples):
            try:
                readings.append(await self._reading())
            except ExchangeError as exc:
                error = exc
        if error is not None and len(readings) * 2 <= self.samples:
            self._failed(error)
            raise error
        self.offset_s = statistics.median(readings)
        self.measured_at, self._measured_elapsed = self._wall(), self._elapsed()
        self._gauge.set(self.offset_s)
        if self.failing_since is not None:
            log.info(
                "clock_offset_measured_again",
                failing_for_s=round(self._wall() - self.failing_since),
            )
            self.failing_since = None
        log.info(
            "clock_offset_measured",
            offset_s=round(self.offset_s, 4),
            skewed=self.is_skewed(),
            readings=len(readings),
        )
        return self.offset_s

    async def _reading(self) -> float:
        sent = self._wall()
        server = await self._fetch()
        received = self._wall()
        return server.epoch - (sent + received) / 2.0

    def _failed(self, exc: ExchangeError) -> None:
        self._failures.inc()
        if self.failing_since is None:
            self.failing_since = self._wall()
            log.warning(
                "clock_offset_failed", error=str(exc), kept_offset_s=round(self.offset_s, 4)
            )

    async def run(self) -> None:
        """Re-measure every `interval_s`; a failed measurement keeps the last offset."""
        while True:
            await asyncio.sleep(self.interval_s)
            with contextlib.suppress(ExchangeError):  # counted and logged by `measure`
                await self.measure()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="exchange-clock-sync")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None
