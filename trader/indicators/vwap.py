"""Volume-weighted average price.

Typical price of a candle: tp = (high + low + close) / 3.
VWAP() (cumulative, since construction or the last `reset()`):
    VWAP_t = sum(tp_i * volume_i) / sum(volume_i) over every candle so far; warmup = 1.
VWAP(period) (rolling): the same sums over the last `period` candles only; warmup = period.
The value is None while the summed volume is 0 (no trade, no price), even when `ready`.
Sums are drift-free: the cumulative ones use compensated summation, the rolling ones are
recomputed exactly every `period` updates (see `trader.indicators.window`). `reset()`
starts a new session (e.g. at the daily open) for either variant.

Float arithmetic; see `trader.indicators.base`.
"""

from __future__ import annotations

from trader.indicators.base import CandleLike, Indicator, check_period
from trader.indicators.window import CompensatedSum, RollingSum


def typical_price(high: float, low: float, close: float) -> float:
    return (high + low + close) / 3.0


class VWAP(Indicator[float]):
    """Cumulative VWAP, or rolling over the last `period` candles when `period` is given."""

    __slots__ = ("_turnover", "_volume", "period")

    def __init__(self, period: int | None = None) -> None:
        self.period = None if period is None else check_period("period", period)
        super().__init__(warmup=1 if self.period is None else self.period)
        self._turnover: CompensatedSum | RollingSum
        self._volume: CompensatedSum | RollingSum
        self.reset()

    def reset(self) -> None:
        """Forget every candle: back to the state just after construction."""
        self.updates = 0
        self._value = None
        if self.period is None:
            self._turnover, self._volume = CompensatedSum(), CompensatedSum()
        else:
            self._turnover, self._volume = RollingSum(self.period), RollingSum(self.period)

    def update(self, high: float, low: float, close: float, volume: float) -> float | None:
        """Fold in one candle's high, low, close and volume; return `value`."""
        self._turnover.push(typical_price(high, low, close) * volume)
        self._volume.push(volume)
        self.updates += 1
        if self.ready:
            summed_volume = self._volume.total
            self._value = self._turnover.total / summed_volume if summed_volume > 0 else None
        return self._value

    def update_candle(self, candle: CandleLike) -> float | None:
        return self.update(
            float(candle.high), float(candle.low), float(candle.close), float(candle.volume)
        )
