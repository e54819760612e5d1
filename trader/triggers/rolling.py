"""O(1)-per-candle rolling windows over 1-minute buckets (S-1).

All windows are time-based (a missing minute is a gap, not a shift): a window of `n`
minutes ending at minute `m` holds the buckets `m - n + 1 .. m`. Statistical internals are
float (scores and sigma estimates); money stays Decimal outside this module.
"""

from __future__ import annotations

import math
from typing import Final

from librt.vecs import append, vec
from mypy_extensions import i64

EMPTY: Final = -(2**62)  # never a real minute number
COMPACT_AFTER: Final = 64  # passed-over entries a MonotonicExtreme keeps before cutting


class WindowRing:
    """Per-minute values over the last `size` minutes, with running sums over several
    trailing windows (`spans`, in minutes, each <= size), in fixed memory. `summed[w]`
    names the channels window `w` sums (default: all); `stored` the channels kept per
    minute (default: all; a summed channel must be stored). A channel not stored is ignored
    by `push` and reads None; a window summing nothing costs nothing.

    A slot holds the minute it was written for, so a stale slot (left by a gap) is never
    mistaken for data. `push` costs O(1) amortized per minute of time: each window
    subtracts the minutes leaving it (one in the usual case, at most its span after a gap).
    Every `size` pushes the sums are recomputed exactly (`math.fsum`), so float drift
    cannot build up over weeks of running (still O(1) amortized); `phase` offsets that
    schedule so many rings fed in lock-step do not all resync in the same minute.

    Minutes, values and sums are `librt.vecs` vectors (packed i64 / double, like
    `array`): compiled, a slot is read and written as a machine number — `array` went
    through the generic item protocol, one boxed float per slot (4x slower a push).
    Values live in one vector, a stored channel's `size` slots after another's.
    """

    __slots__ = (
        "_minutes",
        "_pushes",
        "_rows",
        "_sums",
        "_values",
        "channels",
        "last_minute",
        "size",
        "spans",
        "stored",
        "summed",
    )

    def __init__(
        self,
        size: int,
        channels: int,
        spans: tuple[int, ...],
        summed: tuple[tuple[int, ...], ...] | None = None,
        phase: int = 0,
        stored: tuple[int, ...] | None = None,
    ) -> None:
        if size < 1 or channels < 1 or any(not 1 <= span <= size for span in spans):
            raise ValueError("need size >= 1, channels >= 1 and 1 <= span <= size")
        if summed is not None and len(summed) != len(spans):
            raise ValueError("summed needs one channel tuple per span")
        every = tuple(range(channels))
        self.stored = every if stored is None else stored
        self.summed = summed if summed is not None else tuple(every for _ in spans)
        if any(c not in self.stored for sums in self.summed for c in sums):
            raise ValueError("a summed channel must be stored")
        if any(not 0 <= c < channels for c in self.stored):
            raise ValueError(f"stored channels must be in 0..{channels - 1}")
        self.size: i64 = size
        self.channels: i64 = channels
        self.spans = spans
        self._minutes = vec[i64]([EMPTY] * size)
        self._rows = vec[i64]([self._row_of(c) for c in every])
        self._values = vec[float]([0.0] * (size * len(self.stored)))
        self._sums = vec[float]([0.0] * (channels * len(spans)))
        self.last_minute: i64 = EMPTY
        self._pushes: i64 = phase % size

    def _row_of(self, channel: int) -> int:
        """Where a channel's slots start in `_values` (-1: not stored)."""
        return self.stored.index(channel) * self.size if channel in self.stored else -1

    def total(self, window: int, channel: int) -> float:
        """The running sum of `channel` over window `window` (0.0 if it sums nothing)."""
        if not (0 <= window < len(self.spans) and 0 <= channel < self.channels):
            raise IndexError(f"no window {window} or channel {channel} in this ring")
        return self._sums[window * self.channels + channel]

    def push(self, minute: i64, values: vec[float]) -> None:
        """Add the bucket of `minute` (must be after the last pushed minute): one value
        per channel. Index loops over locals, not `enumerate`/`zip`: compiled, this halves
        the cost of a push."""
        last = self.last_minute
        if minute <= last:
            raise ValueError(f"minute {minute} not after {last}")
        if len(values) != self.channels:
            raise ValueError(f"need {self.channels} values, got {len(values)}")
        spans, summed, sums = self.spans, self.summed, self._sums
        if last != EMPTY:
            for window in range(len(spans)):
                span: i64 = spans[window]
                first_gone = last - span + 1
                last_gone = min(minute - span, last)
                if first_gone <= last_gone and summed[window]:
                    self._drop(window, first_gone, last_gone)
        slot = minute % self.size
        self._minutes[slot] = minute
        rows, stored = self._rows, self._values
        for channel in self.stored:
            stored[rows[channel] + slot] = values[channel]
        channels = self.channels
        for window in range(len(spans)):
            base = window * channels
            for channel in summed[window]:
                sums[base + channel] += values[channel]
        self.last_minute = minute
        self._pushes += 1
        if self._pushes >= self.size:
            self._resync()

    def _drop(self, window: i64, first: i64, last: i64) -> None:
        """Subtract the stored minutes `first..last` from one window's sums."""
        minutes, size, sums, values, rows = (
            self._minutes, self.size, self._sums, self._values, self._rows,
        )  # fmt: skip
        base = window * self.channels
        channels = self.summed[window]
        old = first
        while old <= last:
            slot = old % size
            if minutes[slot] == old:
                for channel in channels:
                    sums[base + channel] -= values[rows[channel] + slot]
            old += 1

    def _resync(self) -> None:
        size = self.size
        for window in range(len(self.spans)):
            channels = self.summed[window]
            if not channels:
                continue
            oldest = self.last_minute - self.spans[window]
            inside = [s for s in range(size) if self._minutes[s] > oldest]
            for channel in channels:
                row = self._rows[channel]
                total = math.fsum([self._values[row + s] for s in inside])
                self._sums[window * self.channels + channel] = total
        self._pushes = 0

    def _row(self, channel: int) -> i64:
        """Where the channel's slots start in `_values`; -1: not stored (or no channel)."""
        return self._rows[channel] if 0 <= channel < self.channels else -1

    def value_at(self, minute: int, channel: int) -> float | None:
        slot = minute % self.size
        row = self._row(channel)
        if row < 0 or self._minutes[slot] != minute:
            return None
        return self._values[row + slot]

    def latest_at_or_before(
        self, minute: int, oldest: int, channel: int
    ) -> tuple[int, float] | None:
        """The stored (minute, value) closest to and not after `minute`, not before `oldest`.

        O(1) when `minute` is stored; scans back over gaps otherwise (bounded by the range).
        """
        row = self._row(channel)
        if row < 0:
            return None
        lowest = max(oldest, self.last_minute - self.size + 1)
        minutes, values, size = self._minutes, self._values, self.size
        candidate: i64 = minute
        while candidate >= lowest:
            slot = candidate % size
            if minutes[slot] == candidate:
                return candidate, values[row + slot]
            candidate -= 1
        return None


class MonotonicExtreme:
    """Maximum (or minimum) over a time window of `span` seconds, O(1) amortized.

    `query(now_time)` returns the extreme of entries with time > now_time - span.

    The candidates (each more extreme than every later one) are the entries `_head ..
    _count - 1` of two parallel vectors (times, values), oldest first: no tuple per entry
    and no sign-flipped copy of each value; compiled, a push or a query reads and writes
    machine numbers and allocates nothing once the vectors have grown. Entries that left
    the window are passed over by moving `_head`, and moved off the front once they are
    the larger part.
    """

    __slots__ = ("_count", "_head", "_maximum", "_times", "_values", "span")

    def __init__(self, span: int, *, maximum: bool) -> None:
        self.span = span
        self._maximum = maximum
        self._times = vec[i64]()
        self._values = vec[float]()
        self._head: i64 = 0
        self._count: i64 = 0

    def push(self, time: i64, value: float) -> None:
        values, head = self._values, self._head
        count = self._count
        if self._maximum:
            while count > head and values[count - 1] <= value:
                count -= 1
        else:
            while count > head and values[count - 1] >= value:
                count -= 1
        if count < len(values):
            self._times[count] = time
            values[count] = value
        else:
            self._times = append(self._times, time)
            self._values = append(values, value)
        self._count = count + 1

    def query(self, now_time: i64) -> float | None:
        cutoff = now_time - self.span
        times, head, count = self._times, self._head, self._count
        while head < count and times[head] <= cutoff:
            head += 1
        if head == count:
            self._head = self._count = 0
            return None
        if head > COMPACT_AFTER and head * 2 > count:
            self._move_to_front(head, count)
            head = 0
        self._head = head
        return self._values[head]

    def _move_to_front(self, head: i64, count: i64) -> None:
        """The candidates `head .. count - 1` moved to the front of the vectors."""
        times, values = self._times, self._values
        kept: i64 = 0
        while head + kept < count:
            times[kept] = times[head + kept]
            values[kept] = values[head + kept]
            kept += 1
        self._count = kept
