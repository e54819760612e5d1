"""Trigger engine (S-1): incremental per-product state, no look-ahead.

Bars: the triggers are computed on closed bars of `signals.timeframe`. The candles fed are
`candle_seconds` long (the daemon's 1-minute candles; a backtest's recorded bars): the same
length is applied as it is, finer candles are first built into bars of the timeframe by the
one resampler (`core/timeframes.py`), coarser ones are refused (ValueError at construction)
— no trigger is ever computed on pieces cut out of a longer bar.

Feeding: `on_candle(candle)` queues a candle. A candle whose start is not strictly after the
last one queued or applied for that product is IGNORED and `on_candle` returns False (the
caller may count it); nothing already applied is ever rewritten.

Evaluating: `evaluate(now, regime)` first applies queued candles that are closed at `now`
(`start + candle_seconds <= now`), in order, then scores every product whose last closed
candle closed no more than `max_candle_age_s` before `now`. Candles not yet closed stay queued, so a
forming or future candle can never influence a decision. `now` must not go backwards
(ValueError), since applied candles cannot be un-applied.

Restarting: `restart(product_id, at)` says the product's data before `at` does not join
what follows (the venue's data was missing up to `at`, `trader.core.gaps`). When its first
candle starting at or after `at` is applied, the product's windows start again from it:
every measure needing more history is None again (its warm-up) and no return, sigma or
extreme spans the hole. The candle sinks are told (`restart_sinks`) just before.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable, Collection, Iterable
from decimal import Decimal

from trader.config.signals import SignalsConfig
from trader.core.market import CANDLE_SECONDS
from trader.core.timeframes import Resampler
from trader.core.types import Candle
from trader.triggers.scoring import product_signals, select_top
from trader.triggers.series import ProductSeries
from trader.triggers.types import TriggerSignal


class TriggerEngine:
    """Holds one `ProductSeries` and one queue of unclosed candles per product."""

    def __init__(self, config: SignalsConfig, candle_seconds: int = CANDLE_SECONDS) -> None:
        if candle_seconds > config.bar_seconds or config.bar_seconds % candle_seconds:
            raise ValueError(
                f"signals.timeframe {config.timeframe} cannot be built from "
                f"{candle_seconds // 60}-minute candles: the triggers' bars must be the "
                "candles' own or whole multiples of them"
            )
        self.config = config
        self.candle_seconds = candle_seconds
        self._resamplers: dict[str, Resampler] | None = (
            None if candle_seconds == config.bar_seconds else {}
        )
        self._series: dict[str, ProductSeries] = {}
        self._queued: dict[str, deque[Candle]] = {}
        self._last_fed: dict[str, int] = {}
        self._last_now: float | None = None
        self._last_applied: dict[str, int] = {}  # start of each product's last candle applied
        self._last_candle: dict[str, Candle] = {}  # and the candle itself
        # called with every candle as it is applied (closed at a decision time), in order
        self.candle_sinks: list[Callable[[Candle], None]] = []
        self.restart_sinks: list[Callable[[str], None]] = []  # a product's windows restart
        self._restarts: dict[str, list[int]] = {}  # product -> restart times, ascending

    def on_candle(self, candle: Candle) -> bool:
        """Take a candle; False (ignored) when its start is not after the last one fed.
        A candle closed at or before the last decision time (a backfill, once `advance`
        has set that time) is applied at once — no later decision can be earlier, so this
        keeps no look-ahead and spares holding a whole backfill in a queue (PERF-5). Any
        other candle waits in its product's queue until a decision time has passed it."""
        pid = candle.product_id
        last = self._last_fed.get(pid)
        if last is not None and candle.start <= last:
            return False
        self._last_fed[pid] = candle.start
        queue = self._queued.get(pid)
        closed = self._last_now is not None and candle.start + self.candle_seconds <= self._last_now
        if closed and not queue:
            self._apply(candle)
            return True
        if queue is None:
            queue = self._queued[pid] = deque()
        queue.append(candle)
        return True

    def feed(self, candles: Iterable[Candle]) -> int:
        """Queue many candles; returns how many were accepted."""
        return sum(1 for candle in candles if self.on_candle(candle))

    def advance(self, now: float) -> None:
        """Apply every queued candle closed at `now` (`start + candle_seconds <= now`)."""
        if self._last_now is not None and now < self._last_now:
            raise ValueError(f"now went backwards: {now} < {self._last_now}")
        self._last_now = now
        length = self.candle_seconds
        for queue in self._queued.values():
            while queue and queue[0].start + length <= now:
                self._apply(queue.popleft())

    def restart(self, product_id: str, at: int) -> None:
        """Start the product's windows again at its first candle starting at or after `at`."""
        times = self._restarts.setdefault(product_id, [])
        times.append(at)
        times.sort()

    def _restart_due(self, pid: str, start: int) -> None:
        times = self._restarts.get(pid)
        if not times or start < times[0]:
            return
        while times and times[0] <= start:
            times.pop(0)
        if not times:
            del self._restarts[pid]
        self._series.pop(pid, None)
        if self._resamplers is not None:
            self._resamplers.pop(pid, None)
        for sink in self.restart_sinks:
            sink(pid)

    def _apply(self, candle: Candle) -> None:
        pid = candle.product_id
        if self._restarts:
            self._restart_due(pid, candle.start)
        self._last_applied[pid] = candle.start
        self._last_candle[pid] = candle
        if self._resamplers is None:
            self._series_for(pid).apply(candle)
        else:
            resampler = self._resamplers.get(pid)
            if resampler is None:
                resampler = self._resamplers[pid] = Resampler(self.config.bar_seconds, 2)
            closed = resampler.add(candle, self.candle_seconds)
            for bar in list(resampler.bars)[len(resampler.bars) - closed :]:
                self._series_for(pid).apply(bar)
        for sink in self.candle_sinks:
            sink(candle)

    def _series_for(self, pid: str) -> ProductSeries:
        series = self._series.get(pid)
        if series is None:
            # crc32, unlike hash(), is the same in every run: deterministic resync phases
            phase = zlib.crc32(pid.encode())
            series = self._series[pid] = ProductSeries(self.config, phase)
        return series

    def fired(
        self, now: float, regime: str = "normal", products: Collection[str] | None = None
    ) -> list[TriggerSignal]:
        """Every trigger firing at `now` (before min_score and the per-cycle cap)."""
        self.advance(now)
        multiplier = self.config.threshold_multiplier(regime)
        oldest_close = now - self.config.max_candle_age_s
        out: list[TriggerSignal] = []
        for pid in sorted(self._series if products is None else products):
            series = self._series.get(pid)
            measures = series.measures() if series is not None else None
            if measures is None or not self._fresh(pid, oldest_close):
                continue
            out.extend(product_signals(pid, measures, self.config, multiplier))
        return out

    def _fresh(self, pid: str, oldest_close: float) -> bool:
        """The product's last candle applied closed at or after `oldest_close`: its data is
        current, even while a longer trigger bar is still forming."""
        last = self._last_applied.get(pid)
        return last is not None and last + self.candle_seconds >= oldest_close

    def evaluate(
        self, now: float, regime: str = "normal", products: Collection[str] | None = None
    ) -> list[TriggerSignal]:
        """The triggers selected for this cycle: `min_score`, highest first, capped (S-1)."""
        return select_top(self.fired(now, regime, products), self.config)

    def sigma(self, product_id: str) -> float | None:
        """Log-return sigma per minute over closed bars (for snapshots and outlier checks)."""
        series = self._series.get(product_id)
        return None if series is None else series.sigma()

    def last_close(self, product_id: str) -> Decimal | None:
        """Close of the last applied (closed) candle — the newest price, even while a longer
        trigger bar is still forming."""
        candle = self._last_candle.get(product_id)
        return None if candle is None else candle.close

    def last_candle(self, product_id: str) -> Candle | None:
        """The last applied (closed) candle."""
        return self._last_candle.get(product_id)

    def last_closed_start(self, product_id: str) -> int | None:
        """Start of the last applied (closed) candle."""
        return self._last_applied.get(product_id)
