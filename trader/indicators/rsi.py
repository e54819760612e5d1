"""Relative Strength Index with Wilder's smoothing.

RSI(period), over a series of closes c_1, c_2, ...:
- change_t = c_t - c_{t-1} (from the second value on); gain_t = max(change_t, 0),
  loss_t = max(-change_t, 0);
- the first averages (at update period + 1) are the simple means of the first `period`
  gains and losses; after that Wilder's smoothing:
      avg_gain_t = (avg_gain_{t-1} * (period - 1) + gain_t) / period   (same for losses);
- RS = avg_gain / avg_loss and RSI = 100 - 100 / (1 + RS), in [0, 100];
  when avg_loss is 0: RSI = 100 if avg_gain > 0, and 50 if avg_gain is 0 too (a flat
  series has no direction).
warmup = period + 1 (the first close only sets the reference for the first change).

Float arithmetic; see `trader.indicators.base`.
"""

from __future__ import annotations

from collections.abc import Sequence

from trader.indicators.base import SeriesIndicator, check_period


def rsi_from_averages(average_gain: float, average_loss: float) -> float:
    """RSI from the smoothed gain and loss (the zero-loss cases as documented above)."""
    if average_loss == 0.0:
        return 100.0 if average_gain > 0.0 else 50.0
    return 100.0 - 100.0 / (1.0 + average_gain / average_loss)


class RSI(SeriesIndicator[float]):
    """Wilder's RSI over `period` changes."""

    __slots__ = ("_average_gain", "_average_loss", "_previous", "period")

    def __init__(self, period: int = 14) -> None:
        self.period = check_period("period", period)
        super().__init__(warmup=self.period + 1)
        self._previous: float | None = None
        self._average_gain = 0.0  # a running sum of gains until the first average
        self._average_loss = 0.0

    def update(self, value: float) -> float | None:
        previous, self._previous = self._previous, value
        self.updates += 1
        if previous is None:
            return None
        change = value - previous
        gain, loss = max(change, 0.0), max(-change, 0.0)
        if self._value is not None:
            self._smooth(gain, loss)
        elif self.updates <= self.period:
            self._average_gain += gain
            self._average_loss += loss
            return None
        else:
            self._average_gain = (self._average_gain + gain) / self.period
            self._average_loss = (self._average_loss + loss) / self.period
        self._value = rsi_from_averages(self._average_gain, self._average_loss)
        return self._value

    def update_many(self, values: Sequence[float]) -> float | None:
        """As `update` per value (the same arithmetic, so the same floats), in one loop."""
        index, count = self._fold_until_valued(values, self.update), len(values)
        if self._value is None:
            return None
        period, keep = self.period, self.period - 1
        previous, gain_avg, loss_avg = self._previous, self._average_gain, self._average_loss
        for value in values[index:] if index else values:
            change = value - previous  # type: ignore[operator]  # set by the first update
            previous = value
            gain_avg = (gain_avg * keep + max(change, 0.0)) / period
            loss_avg = (loss_avg * keep + max(-change, 0.0)) / period
        self.updates += count - index
        self._previous, self._average_gain, self._average_loss = previous, gain_avg, loss_avg
        self._value = rsi_from_averages(gain_avg, loss_avg)
        return self._value

    def _smooth(self, gain: float, loss: float) -> None:
        keep = self.period - 1
        self._average_gain = (self._average_gain * keep + gain) / self.period
        self._average_loss = (self._average_loss * keep + loss) / self.period
