"""Average True Range with Wilder's smoothing.

True range of a candle (high h_t, low l_t, previous close c_{t-1}):
    TR_1 = h_1 - l_1                                   (the first candle has no previous close)
    TR_t = max(h_t - l_t, |h_t - c_{t-1}|, |l_t - c_{t-1}|)
ATR(period):
    the first value (at update `period`) is the simple mean of TR_1 .. TR_period;
    after that ATR_t = (ATR_{t-1} * (period - 1) + TR_t) / period.
warmup = period. ATR(1) is the latest true range.

Float arithmetic; see `trader.indicators.base`.
"""

from __future__ import annotations

from collections.abc import Sequence

from trader.indicators.base import CandleLike, Indicator, check_period


def true_range(high: float, low: float, previous_close: float | None) -> float:
    """The true range as defined above (`previous_close` None for the first candle)."""
    if previous_close is None:
        return high - low
    return max(high - low, abs(high - previous_close), abs(low - previous_close))


class ATR(Indicator[float]):
    """Wilder's average true range over `period` candles."""

    __slots__ = ("_previous_close", "_seed_sum", "period")

    def __init__(self, period: int = 14) -> None:
        self.period = check_period("period", period)
        super().__init__(warmup=self.period)
        self._previous_close: float | None = None
        self._seed_sum = 0.0

    def update(self, high: float, low: float, close: float) -> float | None:
        """Fold in one candle's high, low and close; return `value`."""
        latest = true_range(high, low, self._previous_close)
        self._previous_close = close
        self.updates += 1
        previous = self._value
        if previous is not None:
            self._value = (previous * (self.period - 1) + latest) / self.period
        elif self.updates < self.period:
            self._seed_sum += latest
        else:
            self._value = (self._seed_sum + latest) / self.period
        return self._value

    def update_candle(self, candle: CandleLike) -> float | None:
        return self.update(float(candle.high), float(candle.low), float(candle.close))

    def update_candles(self, candles: Sequence[CandleLike]) -> float | None:
        """As `update_candle` per candle (the same arithmetic, so the same floats), in one
        loop."""
        index, count = self._fold_until_valued(candles, self.update_candle), len(candles)
        current, previous_close = self._value, self._previous_close
        if current is None:
            return None
        period, keep = self.period, self.period - 1
        for candle in candles[index:] if index else candles:
            latest = true_range(float(candle.high), float(candle.low), previous_close)
            current = (current * keep + latest) / period
            previous_close = float(candle.close)
        self.updates += count - index
        self._value, self._previous_close = current, previous_close
        return current
