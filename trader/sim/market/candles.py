"""`CandleStore`: the venue's 1-minute candles (history plus trades) aggregated on demand.

Implements `trader.sim.contract.CandleHistory`. 1-minute buckets are kept per product in a
dict beside a sorted list of bucket starts, so a range query is a bisect plus the buckets in
range. Coarser granularities are aggregated from the 1-minute buckets on UTC-aligned
boundaries; buckets with no trades are omitted, as Coinbase does. SIM-1.

ONE_DAY also draws on each product's daily history (`MarketSource.daily_history`, see
`daily.py`): a day before the UTC day of the product's first 1-minute bucket is served from
the daily candles, a later day from the aggregated minutes (daily candles for those days are
ignored). The daily history is loaded lazily, on a product's first ONE_DAY request, through
the `daily` loader, so building the store costs no more than before.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable
from decimal import Decimal

from trader.core.types import Candle, Trade

GRANULARITIES = frozenset({60, 300, 900, 1800, 3600, 7200, 14400, 21600, 86400})
DAY = 86400
ZERO = Decimal(0)


class _Bucket:
    __slots__ = ("close", "high", "low", "open", "volume")

    def __init__(self, o: Decimal, h: Decimal, lo: Decimal, c: Decimal, v: Decimal) -> None:
        self.open, self.high, self.low, self.close, self.volume = o, h, lo, c, v


class _Series:
    def __init__(self) -> None:
        self.starts: list[int] = []
        self.buckets: dict[int, _Bucket] = {}

    def put(self, start: int, bucket: _Bucket) -> None:
        if start not in self.buckets:
            if not self.starts or start > self.starts[-1]:
                self.starts.append(start)
            else:
                insort(self.starts, start)
        self.buckets[start] = bucket

    def between(self, first: int, last_exclusive: int) -> list[int]:
        lo = bisect_left(self.starts, first)
        hi = bisect_left(self.starts, last_exclusive)
        return self.starts[lo:hi]


class _Days:
    """A product's daily history: candles by UTC-midnight start, oldest first."""

    def __init__(self, candles: Iterable[Candle]) -> None:
        self.rows = sorted(candles, key=lambda c: c.start)
        self.starts = [c.start for c in self.rows]
        for c in self.rows:
            if c.start % DAY:
                raise ValueError(f"{c.product_id} daily candle start {c.start} is not midnight")
        if len(set(self.starts)) != len(self.starts):
            raise ValueError("daily history has two candles for one day")

    def between(self, first: int, last_exclusive: int) -> list[Candle]:
        return self.rows[bisect_left(self.starts, first) : bisect_left(self.starts, last_exclusive)]


DailyLoader = Callable[[str], Iterable[Candle]]


class CandleStore:
    """History seeded at construction; `record(trade)` updates the forming minute.

    `daily(product_id)`, when given, returns the product's daily history (closed 86400-s
    candles on UTC midnights); it is called at most once per product, on the first ONE_DAY
    request."""

    def __init__(
        self,
        history: dict[str, Iterable[Candle]] | None = None,
        daily: DailyLoader | None = None,
    ) -> None:
        self._series: dict[str, _Series] = {}
        self._daily_loader = daily
        self._days: dict[str, _Days] = {}
        for product_id, candles in (history or {}).items():
            self.seed(product_id, candles)

    def seed_daily(self, product_id: str, candles: Iterable[Candle]) -> None:
        """Set the product's daily history (replacing any loaded one)."""
        self._days[product_id] = _Days(candles)

    def _daily(self, product_id: str) -> _Days | None:
        days = self._days.get(product_id)
        if days is None and self._daily_loader is not None:
            days = self._days[product_id] = _Days(self._daily_loader(product_id))
        return days

    def seed(self, product_id: str, candles: Iterable[Candle]) -> None:
        series = self._series.setdefault(product_id, _Series())
        for c in candles:
            if c.start % 60:
                raise ValueError(f"{product_id} candle start {c.start} is not minute-aligned")
            series.put(c.start, _Bucket(c.open, c.high, c.low, c.close, c.volume))

    def record(self, trade: Trade) -> None:
        series = self._series.setdefault(trade.product_id, _Series())
        start = int(trade.time) // 60 * 60
        bucket = series.buckets.get(start)
        if bucket is None:
            series.put(
                start, _Bucket(trade.price, trade.price, trade.price, trade.price, trade.size)
            )
            return
        bucket.high = max(bucket.high, trade.price)
        bucket.low = min(bucket.low, trade.price)
        bucket.close = trade.price
        bucket.volume += trade.size

    def candles(
        self, product_id: str, granularity_s: int, start: int, end: int, now: float
    ) -> list[Candle]:
        """Buckets of `granularity_s` overlapping [start, end) that began by `now`, newest
        first; the forming bucket is included."""
        if granularity_s not in GRANULARITIES:
            raise ValueError(f"unsupported granularity {granularity_s}")
        series = self._series.get(product_id)
        first = start // granularity_s * granularity_s
        last = min(end, int(now) + 1)
        grouped: dict[int, list[_Bucket]] = {}
        if series is not None:
            for minute in series.between(first, last):
                grouped.setdefault(minute // granularity_s * granularity_s, []).append(
                    series.buckets[minute]
                )
        out = {b: _merge(product_id, b, parts) for b, parts in grouped.items()}
        if granularity_s == DAY and (series is not None or product_id in self._days):
            out.update(self._older_days(product_id, series, first, last))
        return [out[b] for b in sorted(out, reverse=True)]

    def _older_days(
        self, product_id: str, series: _Series | None, first: int, last: int
    ) -> dict[int, Candle]:
        """Daily-history candles in [first, last) before the first minute bucket's day."""
        days = self._daily(product_id)
        if days is None:
            return {}
        if series is not None and series.starts:
            last = min(last, series.starts[0] // DAY * DAY)
        return {c.start: c for c in days.between(first, last)}

    def stats_24h(self, product_id: str, now: float) -> tuple[Decimal, Decimal, Decimal]:
        """(volume, low, high) of the 1-minute buckets that began in the last 24 h."""
        series = self._series.get(product_id)
        if series is None:
            return ZERO, ZERO, ZERO
        minutes = series.between(int(now) - DAY + 1, int(now) + 1)
        if not minutes:
            return ZERO, ZERO, ZERO
        buckets = [series.buckets[m] for m in minutes]
        volume = sum((b.volume for b in buckets), ZERO)
        return volume, min(b.low for b in buckets), max(b.high for b in buckets)

    def last_price(self, product_id: str) -> Decimal | None:
        series = self._series.get(product_id)
        if series is None or not series.starts:
            return None
        return series.buckets[series.starts[-1]].close


def _merge(product_id: str, start: int, parts: list[_Bucket]) -> Candle:
    return Candle(
        product_id=product_id,
        start=start,
        open=parts[0].open,
        high=max(p.high for p in parts),
        low=min(p.low for p in parts),
        close=parts[-1].close,
        volume=sum((p.volume for p in parts), ZERO),
    )
