"""Closed 1-minute candles per product (S-1, EX-2): the store that feeds triggers.

Only closed candles ever enter the store: `closed_candles(product, until)` returns candles
whose minute ended at or before `until`, oldest first, from a bounded history. Subscribers
are called once per newly stored candle, in start order per product (backfill included),
so the trigger engine can consume them incrementally.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Final

import structlog

from trader.core.types import Candle

log = structlog.get_logger("trader.exchange")
CANDLE_S: Final = 60
DEFAULT_HISTORY: Final = 1500
MAX_INTERNED: Final = 500_000
HOUR_S: Final = 3600
DAY_S: Final = 86400
ZERO: Final = Decimal(0)
CandleListener = Callable[[Candle], None]


class CandleStore:
    """Bounded history of closed 1-minute candles per product."""

    def __init__(self, history: int = DEFAULT_HISTORY, *, intern_prices: bool = True) -> None:
        """`intern_prices`: share one Decimal object among equal stored prices (the daemon
        keeps `history` candles of every product, PERF-5); a backtest's short history
        does not need it."""
        if history < 1:
            raise ValueError("history must hold at least one candle")
        self.history = history
        self.intern_prices = intern_prices
        self._series: dict[str, deque[Candle]] = {}
        self._listeners: list[CandleListener] = []
        self.listener_errors = 0
        self._prices: dict[Decimal, Decimal] = {}  # PERF-5: one object per distinct price
        self._volume: dict[str, HourlyQuoteVolume] = {}

    def subscribe(self, listener: CandleListener) -> Callable[[], None]:
        """Call `listener(candle)` once per newly stored candle; returns an unsubscriber."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add(self, candle: Candle) -> bool:
        """Store a closed candle; False (ignored) unless it is newer than the last one."""
        series = self._series.get(candle.product_id)
        if series is None:
            series = self._series[candle.product_id] = deque(maxlen=self.history)
        if series and candle.start <= series[-1].start:
            return False
        if self.intern_prices:
            candle = self._interned(candle)
        series.append(candle)
        volume = self._volume.get(candle.product_id)
        if volume is None:
            volume = self._volume[candle.product_id] = HourlyQuoteVolume()
        volume.add(candle)
        if self._listeners:  # a copy: a listener may unsubscribe while notified
            for listener in list(self._listeners):
                self._notify(listener, candle)
        return True

    def _interned(self, candle: Candle) -> Candle:
        """The same candle whose prices share objects with equal prices already stored.
        Prices sit on a tick grid and repeat constantly; each Decimal costs ~100 bytes."""
        if len(self._prices) > MAX_INTERNED:
            self._prices.clear()  # bounded; stored candles keep their objects
        prices = self._prices
        o = prices.setdefault(candle.open, candle.open)
        h = prices.setdefault(candle.high, candle.high)
        lo = prices.setdefault(candle.low, candle.low)
        c = prices.setdefault(candle.close, candle.close)
        if o is candle.open and h is candle.high and lo is candle.low and c is candle.close:
            return candle  # its own prices are the kept ones
        return Candle(candle.product_id, candle.start, o, h, lo, c, candle.volume)

    def _notify(self, listener: CandleListener, candle: Candle) -> None:
        try:
            listener(candle)
        except Exception:
            self.listener_errors += 1
            log.exception("candle_listener_failed", product=candle.product_id, start=candle.start)

    def closed_candles(self, product_id: str, until: float | None = None) -> Sequence[Candle]:
        """Closed candles with `start + 60 <= until` (all when None), oldest first."""
        series = self._series.get(product_id)
        if not series:
            return ()
        items = list(series)
        if until is None:
            return items
        cut = bisect.bisect_right(items, until - CANDLE_S, key=lambda c: c.start)
        return items[:cut]

    def quote_volume_24h(self, product_id: str) -> Decimal | None:
        """Quote volume of the last 24 h (whole hours plus the current one); None until a
        day of candles has been seen (U-1 fails closed on it)."""
        volume = self._volume.get(product_id)
        return None if volume is None else volume.last_day()

    def last(self, product_id: str) -> Candle | None:
        series = self._series.get(product_id)
        return series[-1] if series else None

    def products(self) -> list[str]:
        return sorted(self._series)


class HourlyQuoteVolume:
    """Exact quote volume (close × volume) per UTC hour, kept for 25 hours: a day's volume
    without keeping a day of candles (PERF-5). The day's sum adds the hours oldest first;
    the whole hours' part is kept until the next hour starts, so each candle costs one
    addition, in the same order (the same Decimal result) as summing every hour again. The
    day's total is kept until the next candle: the backtest's exit checks read it at every
    point of a bar's path."""

    __slots__ = ("_day", "_whole", "first_start", "hours", "last_start")

    def __init__(self) -> None:
        self.hours: dict[int, Decimal] = {}
        self.first_start: int | None = None
        self.last_start = 0
        self._whole: tuple[int, Decimal] | None = None  # (current hour, sum of the ones before)
        self._day: Decimal | None = None  # last_day() until the next candle

    def add(self, candle: Candle) -> None:
        hour = candle.start // HOUR_S * HOUR_S
        known = self.hours.get(hour)
        self.hours[hour] = (ZERO if known is None else known) + candle.close * candle.volume
        if self.first_start is None:
            self.first_start = candle.start
        self.last_start = candle.start
        self._day = None
        if known is None:  # a new hour: forget the ones more than a day before it
            for old in [h for h in self.hours if h < hour - DAY_S]:
                del self.hours[old]

    def last_day(self) -> Decimal | None:
        if self._day is not None:
            return self._day
        if self.first_start is None or self.last_start - self.first_start < DAY_S - HOUR_S:
            return None
        current = self.last_start // HOUR_S * HOUR_S
        whole = self._whole
        if whole is None or whole[0] != current:
            start = current - DAY_S + HOUR_S
            total = ZERO  # oldest hour first, as `sum` adds (the same Decimal result)
            for hour, value in self.hours.items():
                if start <= hour < current:
                    total = total + value
            whole = self._whole = (current, total)
        day = self._day = whole[1] + self.hours.get(current, ZERO)
        return day
