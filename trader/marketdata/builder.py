"""Builds closed 1-minute candles from `market_trades` (EX-2, S-1).

A minute is closed by time (the clock passes start + 60 + grace) or by the first trade of
a later minute plus the grace period. Closing walks minute by minute from a watermark, so
candles are emitted in order and never while forming. Duplicate trades (same trade_id) are
never counted twice; trades for a minute already closed are counted as late and dropped.
Minutes during which the stream was partial (start-up, disconnect, sequence gap) are
"tainted": when due they are not built from the stream but repaired from REST
(`repair_range` → fetch → `apply_repair`). Minutes without trades emit nothing, like
Coinbase's REST candles.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from trader.core.types import Candle
from trader.exchange.models import MarketTrade

CANDLE_S: Final = 60
DEFAULT_GRACE_S: Final = 2.0


class _Bucket:
    __slots__ = ("close", "first_t", "high", "last_t", "low", "open", "volume")

    def __init__(self, price: Decimal, size: Decimal, t: float) -> None:
        self.open = self.high = self.low = self.close = price
        self.volume = size
        self.first_t = self.last_t = t


class CandleBuilder:
    """Candles of one product from its trade prints; `now` is always passed in."""

    def __init__(
        self,
        product_id: str,
        start_minute: int,
        *,
        grace_s: float = DEFAULT_GRACE_S,
        taint_start: bool = True,
    ) -> None:
        self.product_id = product_id
        self.grace_s = grace_s
        self.watermark = start_minute // CANDLE_S * CANDLE_S
        self.forming: dict[int, _Bucket] = {}
        self.first_seen: dict[int, float] = {}
        self.tainted: set[int] = {self.watermark} if taint_start else set()
        # trade ids per forming minute: a duplicate has its original's time, so its minute;
        # once a minute closes, anything for it is late anyway, so its ids are dropped
        self._seen: dict[int, set[str]] = {}
        self.duplicates = 0
        self.late = 0

    def add(self, trade: MarketTrade, now: float) -> None:
        """Apply one trade print (hot path)."""
        minute = int(trade.time) // 60 * 60  # CANDLE_S, literal on the hot path
        if minute < self.watermark:
            self.late += 1
            return
        seen = self._seen.get(minute)
        if seen is None:
            seen = self._seen[minute] = set()
        elif trade.trade_id in seen:
            self.duplicates += 1
            return
        seen.add(trade.trade_id)
        bucket = self.forming.get(minute)
        if bucket is None:
            self.forming[minute] = _Bucket(trade.price, trade.size, trade.time)
            self.first_seen[minute] = now
            return
        price, t = trade.price, trade.time  # _Bucket.add inlined: the PERF-2 hot path
        if price > bucket.high:
            bucket.high = price
        elif price < bucket.low:
            bucket.low = price
        if t < bucket.first_t:
            bucket.first_t, bucket.open = t, price
        if t >= bucket.last_t:
            bucket.last_t, bucket.close = t, price
        bucket.volume += trade.size

    def taint(self, start: float, end: float) -> None:
        """The stream was partial between `start` and `end`: repair those minutes."""
        first = max(int(start) // CANDLE_S * CANDLE_S, self.watermark)
        for minute in range(first, int(end) // CANDLE_S * CANDLE_S + 1, CANDLE_S):
            self.tainted.add(minute)

    def _due(self, minute: int, now: float) -> bool:
        if now < minute + CANDLE_S:
            return False  # whatever trades say, our clock has not left the minute
        if now >= minute + CANDLE_S + self.grace_s:
            return True
        later = [seen for m, seen in self.first_seen.items() if m > minute]
        return bool(later) and now >= min(later) + self.grace_s

    def close_due(self, now: float) -> list[Candle]:
        """Close every due, untainted minute from the watermark on, in order."""
        closed: list[Candle] = []
        while self._due(self.watermark, now) and self.watermark not in self.tainted:
            candle = self._pop(self.watermark)
            if candle is not None:
                closed.append(candle)
            self.watermark += CANDLE_S
        return closed

    def _pop(self, minute: int) -> Candle | None:
        self.first_seen.pop(minute, None)
        self._seen.pop(minute, None)
        bucket = self.forming.pop(minute, None)
        if bucket is None:
            return None
        return Candle(
            self.product_id,
            minute,
            bucket.open,
            bucket.high,
            bucket.low,
            bucket.close,
            bucket.volume,
        )

    def repair_range(self, now: float) -> tuple[int, int] | None:
        """[lo, hi) of due tainted minutes at the watermark that need REST, or None."""
        lo = self.watermark
        if lo not in self.tainted or not self._due(lo, now):
            return None
        hi = lo
        while hi in self.tainted and self._due(hi, now):
            hi += CANDLE_S
        return lo, hi

    def apply_repair(self, lo: int, hi: int, candles: Sequence[Candle], now: float) -> list[Candle]:
        """Publish REST candles for [lo, hi) instead of stream data, then close what is due.
        Passing no candles for a minute means it had no trades (or is given up)."""
        if lo != self.watermark:
            return []
        by_start = {c.start: c for c in candles if lo <= c.start < hi}
        closed: list[Candle] = []
        for minute in range(lo, hi, CANDLE_S):
            self._pop(minute)
            self.tainted.discard(minute)
            if minute in by_start:
                closed.append(by_start[minute])
        self.watermark = hi
        return closed + self.close_due(now)
