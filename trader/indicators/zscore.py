"""Rolling z-score of the latest value.

ZScore(period), over the last `period` values x (the latest value x_t included):
    mean = sum(x) / period
    std  = population standard deviation, sqrt(sum((x_i - mean)^2) / period)
    z    = (x_t - mean) / std
warmup = period; period >= 2 (a one-value window always has std 0). The value is None
while the window's std is 0 (all `period` values equal), even when `ready`: the score is
undefined there, and a caller must treat None as "no signal". Kept with drift-free rolling
sums (see `trader.indicators.window`), which detect an all-equal window exactly.

Float arithmetic; see `trader.indicators.base`.
"""

from __future__ import annotations

from trader.indicators.base import SeriesIndicator, check_period
from trader.indicators.window import RollingStats


class ZScore(SeriesIndicator[float]):
    """How many population standard deviations the latest value is from the window mean."""

    __slots__ = ("_window", "period")

    def __init__(self, period: int) -> None:
        self.period = check_period("period", period, minimum=2)
        super().__init__(warmup=self.period)
        self._window = RollingStats(self.period)

    def update(self, value: float) -> float | None:
        window = self._window
        window.push(value)
        self.updates += 1
        if not window.full:
            return None
        std = window.std()
        self._value = (value - window.mean()) / std if std > 0.0 else None
        return self._value
