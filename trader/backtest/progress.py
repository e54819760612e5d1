"""Backtest progress bar (BT-1): one line with percentage, rate and ETA, rewritten in place.

Written only when the stream is a terminal (or when forced on), at most once per
``min_interval_s`` and always for the last bar, so calling ``update`` for every bar is cheap.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 20


def _duration(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from one hour on."""
    whole = max(round(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


class Progress:
    """A progress bar with ETA for a run over ``total`` bars."""

    def __init__(
        self,
        total: int,
        *,
        label: str = "backtest",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        min_interval_s: float = 0.1,
    ) -> None:
        self._total = max(total, 0)
        self._label = label
        self._stream: TextIO = sys.stderr if stream is None else stream
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._clock = clock
        self._min_interval_s = min_interval_s
        self._started = clock()
        self._last_write = self._started
        self._done = 0
        self._width = 0

    def update(self, done: int) -> None:
        """Record ``done`` bars; redraw when ``min_interval_s`` has passed or the run is done."""
        if not self._enabled:
            return
        self._done = done
        now = self._clock()
        if done < self._total and now - self._last_write < self._min_interval_s:
            return
        self._last_write = now
        self._write("\r" + self._pad(self._line(done, now)))

    def finish(self) -> None:
        """Draw the final line and end it with a newline; later calls do nothing."""
        if not self._enabled:
            return
        self._write("\r" + self._pad(self._line(self._done, self._clock())) + "\n")
        self._enabled = False

    def _line(self, done: int, now: float) -> str:
        """The bar's text for ``done`` bars at clock time ``now``."""
        fraction = 1.0 if self._total == 0 else min(max(done / self._total, 0.0), 1.0)
        filled = int(fraction * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        count_width = len(f"{self._total:,}")
        elapsed = now - self._started
        rate = done / elapsed if elapsed > 0 else None
        return (
            f"{self._label} {fraction * 100:5.1f}% [{bar}]  "
            f"{done:>{count_width},}/{self._total:,} bars  "
            f"{'--' if rate is None else f'{rate:,.0f}'} bars/s  "
            f"{self._tail(done, elapsed, rate)}"
        )

    def _tail(self, done: int, elapsed: float, rate: float | None) -> str:
        if done >= self._total:
            return f"took {_duration(elapsed)}"
        if not rate:
            return "ETA --:--"
        return f"ETA {_duration((self._total - done) / rate)}"

    def _pad(self, text: str) -> str:
        """``text`` padded with spaces to cover a longer previous line."""
        padded = text.ljust(self._width)
        self._width = len(text)
        return padded

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except BrokenPipeError:
            self._enabled = False
