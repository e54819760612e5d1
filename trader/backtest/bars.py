"""Compact, exact bar storage for backtests over large recorded sets (BT-1, PERF-4).

1.58 M bars held as `Candle` objects with five `Decimal`s each take about a gigabyte. Here
each bar is kept as the recorded text of its five numbers and becomes a `Candle` of exact
Decimals only when the backtest reaches it; malformed values are reported then, naming the
file and the row. The texts of a series live in one string with each row's end offset
(`RowTexts`): a row's own string is cut out only when the backtest reaches its bar, so a
two-month run over a year's file makes two months of them (and no object per row is held).
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Final

from trader.core.types import Candle
from trader.recorded.errors import RecordedDataError, ohlcv_problem

# What a recorded bar may hold (README "Recorded data"), checked once per file at load
# (`BarSeries.validate`): no real market trades outside these, and within them every
# product's prices, sizes and notionals fit the 28-digit Decimal context on its grids.
MIN_PRICE: Final = 1e-12
MAX_PRICE: Final = 1e12
MAX_VOLUME: Final = 1e18
MAX_CLOSE_PLACES: Final = 12
_NUMBER_BYTES: Final = b"0123456789.,-+eE\n"  # all a row of numbers may hold


class RowTexts:
    """Rows of text in one string, `\n` between them: row `i` ends at `ends[i]` and begins
    one past the end of row `i - 1` (at 0 for the first)."""

    __slots__ = ("_ends", "_text")

    def __init__(self, text: str, ends: array[int]) -> None:
        self._text = text
        self._ends = ends

    @classmethod
    def of(cls, rows: list[str]) -> RowTexts:
        ends: array[int] = array("q")
        end = -1
        for row in rows:
            end += len(row) + 1
            ends.append(end)
        return cls("\n".join(rows), ends)

    def __len__(self) -> int:
        return len(self._ends)

    def well_formed(self) -> bool:
        """Every row begins where the one before it ended plus its `\n` and the last row
        ends at the string's end (what `of` makes; an entry read back must hold it)."""
        ends, previous = self._ends, -1
        for end in ends:
            if end <= previous:
                return False
            previous = end
        return previous == len(self._text) if len(ends) else self._text == ""

    def row(self, index: int) -> str:
        if index < 0:
            index += len(self._ends)
            if index < 0:
                raise IndexError("row index out of range")
        end = self._ends[index]  # IndexError past the end, as a list gives
        begin = self._ends[index - 1] + 1 if index > 0 else 0
        return self._text[begin:end]

    def head(self, count: int) -> RowTexts:
        """The first `count` rows (sharing this string)."""
        return RowTexts(self._text, self._ends[:count])

    def rows(self) -> list[str]:
        return [self.row(index) for index in range(len(self._ends))]

    def joined(self) -> str:
        """The rows with `\n` between them."""
        return self._text[: self._ends[-1]] if self._ends else ""

    def ends(self) -> array[int]:
        return self._ends


class BarSeries:
    """One product's bars, oldest first: starts (epoch s) and `open,high,low,close,volume`."""

    __slots__ = ("_files", "_summary", "_texts", "path", "product_id", "starts")

    def __init__(
        self,
        product_id: str,
        path: str,
        starts: array[int],
        texts: RowTexts,
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
        return self._texts.rows()

    def row_texts(self) -> RowTexts:
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
        series = cls(product_id, path, array("q", starts), RowTexts.of(texts), files)
        for index in range(1, len(starts)):
            if starts[index] <= starts[index - 1]:
                raise series._error(index, "rows are not in increasing time order")
        return series

    def __len__(self) -> int:
        return len(self.starts)

    def validate(self, bar_seconds: int) -> None:
        """The load-time checks of every bar, the first bad row named (RecordedDataError):
        only number characters, each start a whole multiple of `bar_seconds` and at least
        one bar after the one before, five numbers within the bounds above, consistent."""
        self._check_characters()
        self._check_times(bar_seconds)
        if len(self._texts):
            self._price_summary()

    def _check_characters(self) -> None:
        """One scan of the whole text; the rows are looked at only when it fails."""
        text = self._texts.joined()
        if text.isascii() and not text.encode("ascii").translate(None, _NUMBER_BYTES):
            return
        for index in range(len(self._texts)):
            row = self._texts.row(index)
            if not row.isascii() or row.encode("ascii").translate(None, _NUMBER_BYTES):
                raise self._error(index, f"not five plain numbers: {row!r}")

    def _check_times(self, bar_seconds: int) -> None:
        starts, previous = self.starts, None
        for index in range(len(starts)):
            start = starts[index]
            if start % bar_seconds:
                raise self._error(
                    index, f"bar start {start} is not a whole multiple of {bar_seconds} s"
                )
            if previous is not None and start - previous < bar_seconds:
                raise self._error(
                    index, f"bar starts {start - previous} s after the one before "
                    f"(bars of {bar_seconds} s)"
                )  # fmt: skip
            previous = start

    def before(self, end: int) -> BarSeries:
        """The bars starting before `end`, as a series of their own."""
        count = bisect.bisect_left(self.starts, end)
        return BarSeries(
            self.product_id, self.path, self.starts[:count], self._texts.head(count), self._files
        )

    def candle(self, index: int) -> Candle:
        """The bar at `index` with exact Decimals; RecordedDataError if it is malformed."""
        text = self._texts.row(index)
        o, h, lo, c, v = self._numbers(index, text)
        # of the texts Decimal takes, only the infinities and NaNs (inf, Infinity, nan, NaN,
        # sNaN, any case) are not finite, and each has an n: one look at the row instead of
        # five is_finite calls per bar
        if "n" in text or "N" in text:
            raise self._error(index, f"not five finite numbers: {text!r}")
        problem = ohlcv_problem(o, h, lo, c, v)
        if problem is not None:
            raise self._error(index, problem)
        return Candle(self.product_id, self.starts[index], o, h, lo, c, v)

    def close(self, index: int) -> Decimal:
        """The close of the bar at `index`, exactly as `candle(index).close` (the same text to
        the same Decimal) without the rest of the bar: for bars the run has already read
        through `candle`, which checked them (the report's benchmark and closing marks)."""
        text = self._texts.row(index)
        fields = text.split(",")
        if len(fields) != 5:
            raise self._error(index, f"not five numbers: {text!r}")
        try:
            close = Decimal(fields[3])
        except (InvalidOperation, ValueError) as exc:
            raise self._error(index, f"not five numbers: {text!r}") from exc
        if not close.is_finite() or close <= 0:
            raise self._error(index, f"not a positive close: {text!r}")
        return close

    def _numbers(self, index: int, text: str) -> list[Decimal]:
        """The row's numbers (`text`: the row at `index`) as exact Decimals."""
        decimal = Decimal  # one lookup of the module's name per row, not one per number
        try:
            values = [decimal(x) for x in text.split(",")]
        except (InvalidOperation, ValueError) as exc:
            raise self._error(index, f"not five numbers: {text!r}") from exc
        if len(values) != 5:
            raise self._error(index, f"not five numbers: {text!r}")
        return values

    def lowest_low(self) -> Decimal:
        """The lowest low; RecordedDataError on an empty set or a low that is no number (the
        rest of each bar is checked when the backtest reaches it)."""
        if not len(self._texts):
            raise RecordedDataError(self.path, 1, "no bars")
        return self._price_summary()[0]

    def close_places(self) -> int:
        """The most decimal places any close is written with."""
        return self._price_summary()[1] if len(self._texts) else 0

    def _price_summary(self) -> tuple[Decimal, int]:
        """(lowest low, most close decimals) in one pass over the texts, kept. The lows are
        compared as floats (two different prices a float cannot tell apart do not occur in
        market data) and the lowest is returned exactly, from its text."""
        if self._summary is None:
            self._summary = self._scan_prices()
        return self._summary

    def _scan_prices(self) -> tuple[Decimal, int]:
        lowest_at, lowest, places = 0, float("inf"), 0
        texts = self._texts
        for index in range(len(texts)):
            text = texts.row(index)
            fields = text.split(",")
            low = self._checked_low(index, text, fields)
            if low < lowest:
                lowest_at, lowest = index, low
            close = fields[3]
            dot = close.find(".")
            if dot >= 0 and len(close) - dot - 1 > places:
                places = len(close) - dot - 1
                if places > MAX_CLOSE_PLACES:
                    raise self._error(
                        index, f"close has more than {MAX_CLOSE_PLACES} decimals: {text!r}"
                    )
        return Decimal(texts.row(lowest_at).split(",", 4)[2]), places

    def _checked_low(self, index: int, text: str, fields: list[str]) -> float:
        """The row's low, once it is five numbers, consistent and within the bounds
        (compared as floats: exact enough for bounds; `candle` compares exact values)."""
        try:
            o, h, lo, c, v = map(float, fields)
        except ValueError as exc:
            raise self._error(index, f"not five numbers: {text!r}") from exc
        # a zero volume's sign is read from its text: -1e-400 is -0.0 as a float
        if not (lo >= MIN_PRICE and h <= MAX_PRICE and 0 <= v < MAX_VOLUME) or (
            v == 0 and fields[4].startswith("-")
        ):
            raise self._error(
                index, f"outside the recorded-data bounds (prices {MIN_PRICE:g} to "
                f"{MAX_PRICE:g}, volume 0 to under {MAX_VOLUME:g}): {text!r}"
            )  # fmt: skip
        if not (lo <= o <= h and lo <= c <= h):
            raise self._error(index, f"inconsistent OHLCV (low/high/volume): {text!r}")
        return lo

    def first_start(self) -> int | None:
        return self.starts[0] if self.starts else None
