"""Rolling highest high and lowest low.

HighestHigh(period): max(high_{t-period+1} .. high_t), the highest of the last `period`
    highs; `update_candle` reads `candle.high`.
LowestLow(period):   min(low_{t-period+1} .. low_t), the lowest of the last `period` lows;
    `update_candle` reads `candle.low`.
warmup = period (no value from a partial window). The window counts updates, not time: a
missing candle is not a gap here. Kept with a monotonic deque: O(1) amortised per update,
exact (no arithmetic).
"""

from __future__ import annotations

from collections import deque

from trader.indicators.base import CandleLike, Indicator, check_period


class _RollingExtreme(Indicator[float]):
    """The extreme of the last `period` values; `_sign` 1 for maximum, -1 for minimum."""

    __slots__ = ("_candidates", "_sign", "period")

    def __init__(self, period: int, *, maximum: bool) -> None:
        self.period = check_period("period", period)
        super().__init__(warmup=self.period)
        self._sign = 1.0 if maximum else -1.0
        # (update number, sign * value), keyed values strictly decreasing front to back
        self._candidates: deque[tuple[int, float]] = deque()

    def update(self, value: float) -> float | None:
        """Fold in the newest value; return `value` (the window's extreme)."""
        self.updates += 1
        keyed = self._sign * value
        candidates = self._candidates
        while candidates and candidates[-1][1] <= keyed:
            candidates.pop()
        candidates.append((self.updates, keyed))
        if candidates[0][0] <= self.updates - self.period:
            candidates.popleft()
        if self.updates >= self.period:
            self._value = self._sign * candidates[0][1]
        return self._value


class HighestHigh(_RollingExtreme):
    """The highest of the last `period` highs."""

    __slots__ = ()

    def __init__(self, period: int) -> None:
        super().__init__(period, maximum=True)

    def update_candle(self, candle: CandleLike) -> float | None:
        return self.update(float(candle.high))


class LowestLow(_RollingExtreme):
    """The lowest of the last `period` lows."""

    __slots__ = ()

    def __init__(self, period: int) -> None:
        super().__init__(period, maximum=False)

    def update_candle(self, candle: CandleLike) -> float | None:
        return self.update(float(candle.low))
