"""Moving Average Convergence/Divergence.

MACD(fast=12, slow=26, signal=9), over a series of closes:
    fast EMA and slow EMA as `trader.indicators.moving.EMA` (alpha = 2/(n+1), each seeded
        with the SMA of its own first n values, both fed every value from the first);
    macd line  = EMA_fast - EMA_slow, defined from update `slow` on;
    signal     = EMA(signal) of the macd line, seeded with the SMA of its first `signal`
                 values (so first defined at update slow + signal - 1);
    histogram  = macd line - signal.
warmup = slow + signal - 1; `value` is None until all three are defined, while `line`
gives the macd line alone from update `slow` on. Needs 1 <= fast < slow and signal >= 1.

Float arithmetic; see `trader.indicators.base`.
"""

from __future__ import annotations

from typing import NamedTuple

from trader.indicators.base import SeriesIndicator, check_period
from trader.indicators.moving import EMA


class MacdValue(NamedTuple):
    """One MACD reading."""

    macd: float
    signal: float
    histogram: float


class MACD(SeriesIndicator[MacdValue]):
    """MACD line, signal line and histogram."""

    __slots__ = ("_fast", "_line", "_signal", "_slow", "fast", "signal", "slow")

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        self.fast = check_period("fast", fast)
        self.slow = check_period("slow", slow)
        self.signal = check_period("signal", signal)
        if self.fast >= self.slow:
            raise ValueError(f"fast must be < slow, got fast={fast} slow={slow}")
        super().__init__(warmup=self.slow + self.signal - 1)
        self._fast, self._slow, self._signal = EMA(fast), EMA(slow), EMA(signal)
        self._line: float | None = None

    @property
    def line(self) -> float | None:
        """The macd line (fast EMA - slow EMA) alone; None before update `slow`."""
        return self._line

    def update(self, value: float) -> MacdValue | None:
        fast, slow = self._fast.update(value), self._slow.update(value)
        self.updates += 1
        if fast is None or slow is None:
            return None
        line = self._line = fast - slow
        signal = self._signal.update(line)
        if signal is not None:
            self._value = MacdValue(line, signal, line - signal)
        return self._value
