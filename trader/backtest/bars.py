"""Compact, exact bar storage for backtests over large recorded sets (BT-1, PERF-4).

1.58 M bars held as `Candle` objects with five `Decimal`s each take about a gigabyte. Here
each bar is kept as the recorded text of its five numbers in one string (about 90 bytes)
and becomes a `Candle` of exact Decimals only when the backtest reaches it; malformed
values are reported then, naming the file and the row.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from trader.core.types import Candle
from trader.recorded.errors import RecordedDataError, ohlcv_problem


class BarSeries:
    """One product's bars, oldest first: starts (epoch s) and `open,high,low,close,volume`."""

    __slots__ = ("_files", "_texts", "path", "product_id", "starts")

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
        o, h, lo, c, v = values = self._numbers(index)
        if not all(x.is_finite() for x in values):
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
        lowest: Decimal | None = None
        for index, text in enumerate(self._texts):
            try:
                low = Decimal(text.split(",", 3)[2])
            except (InvalidOperation, IndexError) as exc:
                raise self._error(index, f"low is not a number: {text!r}") from exc
            if not low.is_finite():
                raise self._error(index, f"low is not finite: {text!r}")
            lowest = low if lowest is None or low < lowest else lowest
        assert lowest is not None
        return lowest

    def close_places(self) -> int:
        """The most decimal places any close is written with."""
        return max((_places(t.split(",", 4)[3]) for t in self._texts), default=0)

    def first_start(self) -> int | None:
        return self.starts[0] if self.starts else None


def _places(text: str) -> int:
    dot = text.find(".")
    return 0 if dot < 0 else len(text) - dot - 1
