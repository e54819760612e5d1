"""Compact, exact bar storage for backtests over large recorded sets (BT-1, PERF-4).

1.58 M bars held as `Candle` objects with five `Decimal`s each take about a gigabyte. Here
each bar is kept as the recorded text of its five numbers in one string (about 90 bytes)
and becomes a `Candle` of exact Decimals only when the backtest reaches it; malformed
values are reported then, naming the file and the row.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from trader.core.types import Candle
from trader.recorded.errors import RecordedDataError, ohlcv_problem


class BarSeries:
    """One product's bars, oldest first: starts (epoch s) and `open,high,low,close,volume`."""

    __slots__ = ("_files", "_summary", "_texts", "path", "product_id", "starts")

    def __init__(
        self,
        product_id: str,
        path: str,
        starts: array[int],
        texts: list[str],
        files: Sequence[tuple[int, str]] = (),
    ) -> None:
        self.product_id = product_id
        self.path = path
        self.starts = starts
        self._texts = texts
        self._files = list(files)  # (first index, file) when the rows come from several files
        self._summary: tuple[Decimal, int] | None = None  # (lowest low, close places), once

    def texts(self) -> list[str]:
        """Each bar's recorded `open,high,low,close,volume` text, oldest first."""
        return self._texts

    def known_summary(self, lowest_low: Decimal, close_places: int) -> None:
        """The price summary as an earlier scan of the same bars found it (`bar_cache`)."""
        self._summary = (lowest_low, close_places)

    def where(self, index: int) -> tuple[str, int]:
        """The file and 1-based row of the bar at `index`."""
        path, first = self.path, 0
        for begin, name in self._files:
            if begin > index:
                break
            path, first = name, begin
        return path, index - first + 1

    def _error(self, index: int, reason: str) -> RecordedDataError:
        path, row = self.where(index)
        return RecordedDataError(path, row, reason)

    @classmethod
    def from_rows(
        cls,
        product_id: str,
        path: str,
        starts: Sequence[int],
        rows: Sequence[Sequence[str]],
        files: Sequence[tuple[int, str]] = (),
    ) -> BarSeries:
        """Bars from decimal texts (`rows[i]` = open, high, low, close, volume); starts must
        strictly increase (the error names the file and the 1-based row)."""
        for index, row in enumerate(rows, start=1):
            if len(row) != 5:
                raise RecordedDataError(path, index, f"expected 5 numbers, got {list(row)}")
        return cls.from_texts(product_id, path, starts, [",".join(row) for row in rows], files)

    @classmethod
    def from_texts(
        cls,
        product_id: str,
        path: str,
        starts: Sequence[int],
        texts: list[str],
        files: Sequence[tuple[int, str]] = (),
    ) -> BarSeries:
        """Bars from `open,high,low,close,volume` texts (checked when each is used)."""
        series = cls(product_id, path, array("q", starts), texts, files)
        for index in range(1, len(starts)):
            if starts[index] <= starts[index - 1]:
                raise series._error(index, "rows are not in increasing time order")
        return series

    def __len__(self) -> int:
        return len(self.starts)

    def before(self, end: int) -> BarSeries:
        """The bars starting before `end`, as a series of their own."""
        count = bisect.bisect_left(self.starts, end)
        return BarSeries(
            self.product_id, self.path, self.starts[:count], self._texts[:count], self._files
        )

    def candle(self, index: int) -> Candle:
        """The bar at `index` with exact Decimals; RecordedDataError if it is malformed."""
        o, h, lo, c, v = self._numbers(index)
        finite = o.is_finite() and h.is_finite() and lo.is_finite() and c.is_finite()
        if not (finite and v.is_finite()):
            raise self._error(index, f"not five finite numbers: {self._texts[index]!r}")
        problem = ohlcv_problem(o, h, lo, c, v)
        if problem is not None:
            raise self._error(index, problem)
        return Candle(self.product_id, self.starts[index], o, h, lo, c, v)

    def _numbers(self, index: int) -> list[Decimal]:
        try:
            values = [Decimal(x) for x in self._texts[index].split(",")]
        except (InvalidOperation, ValueError) as exc:
            raise self._error(index, f"not five numbers: {self._texts[index]!r}") from exc
        if len(values) != 5:
            raise self._error(index, f"not five numbers: {self._texts[index]!r}")
        return values

    def lowest_low(self) -> Decimal:
        """The lowest low; RecordedDataError on an empty set or a low that is no number (the
        rest of each bar is checked when the backtest reaches it)."""
        if not self._texts:
            raise RecordedDataError(self.path, 1, "no bars")
        return self._price_summary()[0]

    def close_places(self) -> int:
        """The most decimal places any close is written with."""
        return self._price_summary()[1] if self._texts else 0

    def _price_summary(self) -> tuple[Decimal, int]:
        """(lowest low, most close decimals) in one pass over the texts, kept. The lows are
        compared as floats (two different prices a float cannot tell apart do not occur in
        market data) and the lowest is returned exactly, from its text."""
        if self._summary is None:
            self._summary = self._scan_prices()
        return self._summary

    def _scan_prices(self) -> tuple[Decimal, int]:
        lowest_at, lowest, places = 0, float("inf"), 0
        for index, text in enumerate(self._texts):
            fields = text.split(",", 4)
            try:
                low = float(fields[2])
            except (ValueError, IndexError) as exc:
                raise self._error(index, f"low is not a number: {text!r}") from exc
            if not math.isfinite(low):
                raise self._error(index, f"low is not finite: {text!r}")
            if low < lowest:
                lowest_at, lowest = index, low
            close = fields[3] if len(fields) > 3 else ""
            dot = close.find(".")
            if dot >= 0 and len(close) - dot - 1 > places:
                places = len(close) - dot - 1
        return Decimal(self._texts[lowest_at].split(",", 4)[2]), places

    def first_start(self) -> int | None:
        return self.starts[0] if self.starts else None
