"""Quiet or missing: a hole in a product's candles (S-1, EX-2, BT-1).

The venue leaves out the minutes without trades, so a hole between two candles is
normally quiet trading. A hole is taken as the venue's data missing (an outage, a
truncated answer) when it is at least `GapRule.minutes` long and at least
`GapRule.quiet_factor` times the longest quiet hole the product itself had in the 24 h
before it: a product that trades every minute is missing data after two hours without a
candle, a product whose nights are two hours without a trade is not (its bound is eight
hours). A hole judged missing is left out of the product's quiet record. Only what
happened before the hole is read: no look-ahead.

`GapWatch` follows one product's candle starts as they come, O(1) amortized each; the
daemon's market data (what the venue's REST answers) and the backtest (recorded bars)
judge holes through it, so both follow one rule.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

DAY_S: Final = 86400


@dataclass(frozen=True, slots=True)
class GapRule:
    """`minutes`: the shortest hole that can be missing data; `quiet_factor`: how many
    times the product's longest quiet hole of the last 24 h a missing hole must also be."""

    minutes: int = 120
    quiet_factor: int = 4

    def missing(self, hole_s: int, longest_quiet_s: int) -> bool:
        return hole_s >= max(self.minutes * 60, self.quiet_factor * longest_quiet_s)


class GapWatch:
    """One product's candle starts, in order: the holes between them and its quiet record
    (quiet holes of the last 24 h, longest first, each after every longer one)."""

    __slots__ = ("_quiet", "_resume", "bar_s", "last_start", "rule")

    def __init__(self, rule: GapRule, bar_s: int = 60) -> None:
        self.rule = rule
        self.bar_s = bar_s
        self.last_start: int | None = None
        self._quiet: deque[tuple[int, int]] = deque()  # (start after the hole, hole seconds)
        self._resume: int | None = None  # holes of starts from here are measured from here

    def copy(self) -> GapWatch:
        twin = GapWatch(self.rule, self.bar_s)
        twin.last_start = self.last_start
        twin._quiet = deque(self._quiet)
        twin._resume = self._resume
        return twin

    def longest_quiet(self) -> int:
        """The longest quiet hole that ended in the 24 h before the last start (seconds)."""
        if self.last_start is None:
            return 0
        since = self.last_start - DAY_S
        return next((hole for end, hole in self._quiet if end >= since), 0)

    def judge(self, start: int) -> int:
        """The hole before a candle starting at `start`, in seconds, when it is missing
        data; 0 when there is no hole, none before the first candle, or it is quiet."""
        last = self._last_before(start)
        if last is None:
            return 0
        hole = start - last - self.bar_s
        return hole if hole > 0 and self.rule.missing(hole, self.longest_quiet()) else 0

    def observe(self, start: int) -> int:
        """Take the next candle's start (after the last); returns `judge(start)`."""
        missing = self.judge(start)
        last = self._last_before(start)
        if last is not None and not missing and start - last > self.bar_s:
            self._remember(start, start - last - self.bar_s)
        self.last_start = start
        if self._resume is not None and start >= self._resume:
            self._resume = None
        return missing

    def resume(self, at: int) -> None:
        """The minutes up to `at` were judged (missing, reported): the hole before a
        candle starting at or after `at` is measured from `at`."""
        self._resume = at

    def _last_before(self, start: int) -> int | None:
        last, resume = self.last_start, self._resume
        if resume is not None and last is not None and start >= resume > last + self.bar_s:
            return resume - self.bar_s
        return last

    def _remember(self, end: int, hole: int) -> None:
        quiet = self._quiet
        while quiet and quiet[-1][1] <= hole:
            quiet.pop()  # a shorter earlier hole never again is the longest
        quiet.append((end, hole))
        since = end - DAY_S
        while quiet[0][0] < since:
            quiet.popleft()


def missing_holes(
    watch: GapWatch, starts: Iterable[int], end: int | None = None
) -> list[tuple[int, int]]:
    """The holes judged missing, [first missing start, first start after), when candles
    starting at `starts` (ascending, after the watch's last) follow what `watch` saw; with
    `end`, the hole from the last candle to `end` too (an answer covering up to `end`).
    The watch itself is left as it was."""
    twin = watch.copy()
    holes = []
    for start in starts:
        hole = twin.observe(start)
        if hole:
            holes.append((start - hole, start))
    if end is not None and (trailing := twin.judge(end)):
        holes.append((end - trailing, end))
    return holes


def missing_in_series(rule: GapRule, bar_s: int, starts: Sequence[int]) -> list[tuple[int, int]]:
    """`missing_holes` of a whole recorded series (ascending starts), as a `GapWatch` fed
    every start would find them, feeding it only from 24 h before each hole that could be
    missing (one at least `rule.minutes` long): a shorter hole is never missing, so a
    watch begun where no such hole lies in the day before judges the same."""
    limit = rule.minutes * 60 + bar_s
    holes: list[tuple[int, int]] = []
    watch: GapWatch | None = None
    fed = 0  # the next index the watch takes
    for i in _long_steps(starts, bar_s, limit):
        first = max(bisect.bisect_left(starts, starts[i] - DAY_S) - 1, 0)
        if watch is None or fed < first:
            watch, fed = GapWatch(rule, bar_s), first
        for start in starts[fed : i + 2]:
            if hole := watch.observe(start):
                holes.append((start - hole, start))
        fed = i + 2
    return holes


def _long_steps(starts: Sequence[int], bar_s: int, limit: int) -> Iterator[int]:
    """Each index `i` whose next start is `limit` or more after it, in a series whose
    starts are each at least `bar_s` after the one before (`BarSeries.validate`). A run
    of bars one `bar_s` apart is crossed by bisection: the recorded series are runs of
    thousands of bars between a few holes, so O(holes · log n) reads, not one per bar."""
    n = len(starts)
    lo = 0
    while lo < n - 1:
        base = starts[lo]
        k = lo + bisect.bisect_right(
            range(lo, n), 0, key=lambda j: starts[j] - base - (j - lo) * bar_s
        )  # the first bar after the run that starts at `lo`
        if k >= n:
            return
        if starts[k] - starts[k - 1] >= limit:
            yield k - 1
        lo = k
