"""Moving averages of one series (e.g. closes).

SMA(period): the arithmetic mean of the last `period` values,
    SMA_t = (x_{t-period+1} + ... + x_t) / period.
    warmup = period (the first value is the mean of the first `period` values).
    Kept with drift-free rolling sums (see `trader.indicators.window`); a window of equal
    values gives exactly that value.

EMA(period): exponential moving average with alpha = 2 / (period + 1).
    Seeding: the first value (at update `period`) is the SMA of the first `period` values;
    after that EMA_t = EMA_{t-1} + alpha * (x_t - EMA_{t-1})
                     = alpha * x_t + (1 - alpha) * EMA_{t-1}.
    warmup = period. EMA(1) has alpha = 1 and equals the latest value. A constant series
    gives exactly that constant (the seed is the exact mean of equal values).

Float arithmetic; see `trader.indicators.base`.
"""

from __future__ import annotations

from collections.abc import Sequence

from trader.indicators.base import SeriesIndicator, check_period
from trader.indicators.window import RollingStats


class SMA(SeriesIndicator[float]):
    """Simple moving average of the last `period` values."""

    __slots__ = ("_window", "period")

    def __init__(self, period: int) -> None:
        self.period = check_period("period", period)
        super().__init__(warmup=self.period)
        self._window = RollingStats(self.period)

    def update(self, value: float) -> float | None:
        self._window.push(value)
        self.updates += 1
        if self._window.full:
            self._value = self._window.mean()
        return self._value


class EMA(SeriesIndicator[float]):
    """Exponential moving average, alpha = 2/(period+1), seeded with the first SMA."""

    __slots__ = ("_seed", "alpha", "period")

    def __init__(self, period: int) -> None:
        self.period = check_period("period", period)
        super().__init__(warmup=self.period)
        self.alpha = 2.0 / (self.period + 1)
        self._seed: RollingStats | None = RollingStats(self.period)  # dropped once seeded

    def update(self, value: float) -> float | None:
        self.updates += 1
        previous, seed = self._value, self._seed
        if previous is not None:
            self._value = previous + self.alpha * (value - previous)
        elif seed is not None:
            seed.push(value)
            if seed.full:
                self._value, self._seed = seed.mean(), None
        return self._value

    def update_many(self, values: Sequence[float]) -> float | None:
        """As `update` per value (the same arithmetic, so the same floats), in one loop."""
        index, count = self._fold_until_valued(values, self.update), len(values)
        current, alpha = self._value, self.alpha
        if current is None:
            return None
        for value in values[index:] if index else values:
            current = current + alpha * (value - current)
        self.updates += count - index
        self._value = current
        return current
