"""The one source of time.

Every component that reads the time takes a `Clock` — a callable returning Unix seconds
(float, not money). The daemon passes `wall_clock`; the backtest passes a `SimClock` that
its runner sets bar by bar, so everything it stores is stamped inside its data window.
This module is the only place that reads the system clock for wall time (`time.monotonic`
and `perf_counter`, which measure durations, are not wall time).
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]


def wall_clock() -> float:
    """The system's wall clock, Unix seconds."""
    return time.time()


class SimClock:
    """Simulated time: set by its driver (the backtest runner), read like `wall_clock`."""

    def __init__(self, now: float) -> None:
        self.now = float(now)  # a float in both copies (compiled, a float slot converts an int)

    def __call__(self) -> float:
        return self.now
