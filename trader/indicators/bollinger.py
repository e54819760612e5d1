"""Bollinger bands of one series (e.g. closes).

BollingerBands(period=20, k=2.0), over the last `period` values x:
    middle = SMA(period) = mean(x)
    std    = population standard deviation, sqrt(sum((x_i - middle)^2) / period)
             (divides by `period`, not `period - 1`, as Bollinger specifies)
    upper  = middle + k * std
    lower  = middle - k * std
warmup = period. k >= 0 (k = 0 puts both bands on the middle). A window of equal values has
std exactly 0 and all three bands on that value. Kept with drift-free rolling sums (see
`trader.indicators.window`).

Float arithmetic; see `trader.indicators.base`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from trader.indicators.base import SeriesIndicator, check_period
from trader.indicators.window import RollingStats


class Bands(NamedTuple):
    """One Bollinger reading: the three bands and the standard deviation they use."""

    middle: float
    upper: float
    lower: float
    std: float


class BollingerBands(SeriesIndicator[Bands]):
    """SMA middle band with bands `k` population standard deviations above and below."""

    __slots__ = ("_window", "k", "period")

    def __init__(self, period: int = 20, k: float = 2.0) -> None:
        self.period = check_period("period", period)
        if not math.isfinite(k) or k < 0:
            raise ValueError(f"k must be a finite number >= 0, got {k!r}")
        self.k = float(k)
        super().__init__(warmup=self.period)
        self._window = RollingStats(self.period)

    def update(self, value: float) -> Bands | None:
        self._window.push(value)
        self.updates += 1
        if self._window.full:
            middle, std = self._window.mean(), self._window.std()
            width = self.k * std
            self._value = Bands(middle, middle + width, middle - width, std)
        return self._value
