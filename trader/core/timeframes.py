"""Candle timeframes a strategy may ask for (STR-4), built by one resampler from closed
candles — live from the 1-minute candles the daemon closes, in a backtest from the recorded
bars fed the same way.

A bar of timeframe T covers [start, start + T) with `start` a multiple of T (UTC epoch, so
1 d bars start at 00:00 UTC). It is built from the closed candles inside it: open of the
first, highest high, lowest low, close of the last, summed volume (Decimal, exact). It
closes — and only then becomes visible — when the candle ending at `start + T` has been
added, or, when the last minutes of the bucket had no candle, when the first candle of a
later bucket arrives. A forming bar is never shown, so a decision at time t sees only bars
that ended at or before t. Each (product, timeframe) keeps at most its declared history.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Final

from trader.core.types import Candle

TIMEFRAMES: Final[dict[str, int]] = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "1h": 3600,
    "4h": 14400,
    "1d": 86400,
}
# bars per timeframe: 5000 one-minute bars is 3.5 days, 5000 d is 13 years
MAX_HISTORY: Final = 5000


def timeframe_seconds(timeframe: str) -> int:
    seconds = TIMEFRAMES.get(timeframe)
    if seconds is None:
        raise ValueError(f"unknown timeframe {timeframe!r}; one of {', '.join(TIMEFRAMES)}")
    return seconds


def check_needs(needs: Mapping[object, object]) -> dict[str, int]:
    """A strategy's `timeframes` declaration ({timeframe: bars of history}) checked. Typed
    as the user may have written it: the compiled build checks declared types itself."""
    checked: dict[str, int] = {}
    for timeframe, history in needs.items():
        if not isinstance(timeframe, str):
            raise ValueError(f"unknown timeframe {timeframe!r}; one of {', '.join(TIMEFRAMES)}")
        timeframe_seconds(timeframe)
        if isinstance(history, bool) or not isinstance(history, int):
            raise ValueError(f"timeframes[{timeframe!r}]: history must be an int of bars")
        if not 1 <= history <= MAX_HISTORY:
            raise ValueError(f"timeframes[{timeframe!r}]: history must be 1..{MAX_HISTORY} bars")
        checked[timeframe] = history
    return checked


class Resampler:
    """The closed bars of one timeframe for one product, oldest first."""

    __slots__ = ("_forming", "bars", "seconds")  # a forming bar: its closed candles

    def __init__(self, seconds: int, history: int) -> None:
        self.seconds = seconds
        self.bars: deque[Candle] = deque(maxlen=history)
        self._forming: list[Candle] = []

    def add(self, candle: Candle, candle_seconds: int) -> int:
        """Fold in a closed candle of `candle_seconds` (starts must increase); how many bars
        closed (0, 1, or 2 when it also ended a bucket whose last minutes had no candle)."""
        bucket = candle.start - candle.start % self.seconds
        closed = 0
        if self._forming and self._bucket_of(self._forming[0]) != bucket:
            self._close()  # the bucket's last minutes had no candle
            closed = 1
        self._forming.append(candle)
        if candle.start + candle_seconds >= bucket + self.seconds:
            self._close()
            closed += 1
        return closed

    def _bucket_of(self, candle: Candle) -> int:
        return candle.start - candle.start % self.seconds

    def _close(self) -> None:
        pieces, self._forming = self._forming, []
        first = pieces[0]
        self.bars.append(
            Candle(
                first.product_id,
                self._bucket_of(first),
                first.open,
                max(p.high for p in pieces),
                min(p.low for p in pieces),
                pieces[-1].close,
                sum((p.volume for p in pieces[1:]), pieces[0].volume),
            )
        )


class BarBook:
    """Closed bars per product for every timeframe some strategy declared."""

    def __init__(self, needs: Mapping[str, int], candle_seconds: int = 60) -> None:
        self.needs = dict(needs)
        self.candle_seconds = candle_seconds
        self._books: dict[str, dict[str, Resampler]] = {}
        self._frozen: dict[tuple[str, str], tuple[Candle, ...]] = {}  # read since the last add

    def add(self, candle: Candle) -> None:
        book = self._books.get(candle.product_id)
        if book is None:
            book = self._books[candle.product_id] = {
                tf: Resampler(timeframe_seconds(tf), history) for tf, history in self.needs.items()
            }
        for timeframe, resampler in book.items():
            if resampler.add(candle, self.candle_seconds):
                self._frozen.pop((candle.product_id, timeframe), None)

    def restart(self, product_id: str) -> None:
        """Forget the product's bars: the next candle starts them again."""
        self._books.pop(product_id, None)
        for timeframe in self.needs:
            self._frozen.pop((product_id, timeframe), None)

    def bars(self, product_id: str, timeframe: str) -> tuple[Candle, ...]:
        """The closed bars, oldest first, as a tuple (sliceable; built once per new candle)."""
        if timeframe not in self.needs:
            raise ValueError(f"timeframe {timeframe!r} was not declared (declared: {self.needs})")
        key = (product_id, timeframe)
        frozen = self._frozen.get(key)
        if frozen is None:
            book = self._books.get(product_id)
            frozen = self._frozen[key] = () if book is None else tuple(book[timeframe].bars)
        return frozen


class BarView:
    """What one strategy may read: the timeframes it declared, at most its history."""

    __slots__ = ("book", "needs")

    def __init__(self, book: BarBook, needs: Mapping[str, int]) -> None:
        self.book = book
        self.needs = needs

    def __call__(self, product_id: str, timeframe: str) -> tuple[Candle, ...]:
        history = self.needs.get(timeframe)
        if history is None:
            raise ValueError(
                f"timeframe {timeframe!r} is not in the strategy's `timeframes` {dict(self.needs)}"
            )
        bars = self.book.bars(product_id, timeframe)
        return bars if len(bars) <= history else bars[-history:]


MAX_BACKFILL_MINUTES: Final = 7 * 1440  # what a start fetches at most: longer histories fill live


def backfill_minutes(needs: Mapping[str, int], least: int) -> int:
    """The 1-minute candles a start fetches so the declared bars exist at once: at least
    `least` (the triggers' own need), at most a week."""
    wanted = max(
        (history * timeframe_seconds(tf) // 60 for tf, history in needs.items()), default=0
    )
    return max(least, min(wanted, MAX_BACKFILL_MINUTES))


def merged_needs(declared: Sequence[Mapping[str, int]]) -> dict[str, int]:
    """Every timeframe any strategy declared, with the longest history asked for."""
    needs: dict[str, int] = {}
    for one in declared:
        for timeframe, history in one.items():
            needs[timeframe] = max(needs.get(timeframe, 0), history)
    return needs
