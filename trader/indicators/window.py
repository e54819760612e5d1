"""Drift-free running sums over a window of the last `size` values (internal helpers).

`RollingStats` gives the mean and the population variance of the last `size` values;
`RollingSum` gives their sum; `CompensatedSum` is an unbounded running sum. All are float.

How drift is kept out. A window's sums are updated by adding the new value and subtracting
the one leaving, which accumulates rounding error without bound over a long run, and the
textbook variance `E[x^2] - E[x]^2` cancels catastrophically when values are large and vary
little (prices near 30 000 moving by cents). So:

- `RollingStats` sums deviations from a shift `c` (the window's mean when last resynced;
  the first value before that), `S1 = sum(x - c)` and `S2 = sum((x - c)^2)`; the variance
  is `(S2 - S1^2/n) / n`, whose terms are the size of the spread, not of the price. The
  mean is `c + S1/n`.
- Every `size` updates the sums are recomputed from the stored window with `math.fsum`
  (correctly rounded; `c` re-centred first), so rounding error never builds up across
  more than `size` updates. That is O(size) work every `size` updates: O(1) amortised.
- A window whose values are all equal is detected exactly (the run of equal trailing
  values covers it): its mean is that value and its variance exactly 0, whatever the sums
  say, so "standard deviation is 0" is a reliable test.
- `RollingSum` (window sums of non-negative terms, as in rolling VWAP) is resynced the same
  way; `CompensatedSum` uses Neumaier's compensated summation, whose error bound does not
  grow with the number of terms (to first order).
"""

from __future__ import annotations

import math
from collections import deque


class RollingSum:
    """Sum of the last `size` values pushed (fewer before `size` pushes)."""

    __slots__ = ("_since_resync", "_total", "_values", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: deque[float] = deque()
        self._total = 0.0
        self._since_resync = 0

    def push(self, value: float) -> None:
        if len(self._values) == self.size:
            self._total -= self._values.popleft()
        self._values.append(value)
        self._total += value
        self._since_resync += 1
        if self._since_resync >= self.size:
            self._total = math.fsum(self._values)
            self._since_resync = 0

    @property
    def count(self) -> int:
        return len(self._values)

    @property
    def total(self) -> float:
        return self._total


class RollingStats:
    """Mean and population variance of the last `size` values pushed."""

    __slots__ = ("_equal_run", "_shift", "_since_resync", "_squares", "_sum", "_values", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: deque[float] = deque()
        self._shift = 0.0
        self._sum = 0.0  # sum(x - shift)
        self._squares = 0.0  # sum((x - shift)^2)
        self._equal_run = 0  # how many trailing values equal the last one
        self._since_resync = 0

    def push(self, value: float) -> None:
        values = self._values
        if not values:
            self._shift = value
        self._equal_run = self._equal_run + 1 if values and values[-1] == value else 1
        if len(values) == self.size:
            self._remove(values.popleft())
        values.append(value)
        deviation = value - self._shift
        self._sum += deviation
        self._squares += deviation * deviation
        self._since_resync += 1
        if self._since_resync >= self.size:
            self._resync()

    def _remove(self, value: float) -> None:
        deviation = value - self._shift
        self._sum -= deviation
        self._squares -= deviation * deviation

    def _resync(self) -> None:
        values = self._values
        self._shift = math.fsum(values) / len(values)
        shift = self._shift
        self._sum = math.fsum(x - shift for x in values)
        self._squares = math.fsum((x - shift) * (x - shift) for x in values)
        self._since_resync = 0

    @property
    def count(self) -> int:
        return len(self._values)

    @property
    def full(self) -> bool:
        return len(self._values) == self.size

    @property
    def last(self) -> float:
        return self._values[-1]

    @property
    def constant(self) -> bool:
        """True when every value in the (non-empty) window is equal."""
        return bool(self._values) and self._equal_run >= len(self._values)

    def mean(self) -> float:
        """Mean of the window (must be non-empty)."""
        if self.constant:
            return self._values[-1]
        return self._shift + self._sum / len(self._values)

    def variance(self) -> float:
        """Population variance of the window (must be non-empty); never negative."""
        if self.constant:
            return 0.0
        count = len(self._values)
        return max((self._squares - self._sum * self._sum / count) / count, 0.0)

    def std(self) -> float:
        """Population standard deviation of the window (must be non-empty)."""
        return math.sqrt(self.variance())


class CompensatedSum:
    """An unbounded running sum with Neumaier compensation (see the module docstring)."""

    __slots__ = ("_compensation", "_sum")

    def __init__(self) -> None:
        self._sum = 0.0
        self._compensation = 0.0

    def push(self, value: float) -> None:
        running = self._sum + value
        if abs(self._sum) >= abs(value):
            self._compensation += (self._sum - running) + value
        else:
            self._compensation += (value - running) + self._sum
        self._sum = running

    @property
    def total(self) -> float:
        return self._sum + self._compensation
