"""`WsCaptureSource`: replay of the real Coinbase WebSocket capture (SIM-1).

Products and rules are the capture's real `/market/products` entries. Live events are the
recorded level2 snapshots/updates (timed by their frame's `timestamp`) and the recorded
`market_trades` updates (timed by each trade's `time`, never earlier than the first level2
frame), shifted onto the venue clock: venue = start + (data − first level2 frame) / speed. With
`speed = inf` each `advance(now)` releases the next recorded second stamped `now`.

History (documented): the capture holds only ~8 h of 5-minute candles, less than 24 h. They
are split into 1-minute candles (the forming bucket dropped) and the rest of the 25 h is a
seeded synthetic walk (`walk.py`) that ends exactly at the first recorded open, so history
is ≥ 24 h and continuous, with the most recent ~8 h real.

Daily history (documented): the capture has no daily data, and its older minute history is
already synthetic, so the daily history continues that synthetic pre-history: `daily_days`
(default 400) days from `daily.daily_walk`, generated backwards from the first (synthetic)
1-minute open at the same volatility (`SYNTHETIC_VOL`) and the minute history's volume
scale, with its own seeded stream (`ws-daily:{seed}:{product}`). None of it is real data.

Recent trades: the capture's real `market_trades` snapshot (100 per product, recorded at
subscribe, before the first live frame), on the venue clock before the start.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from trader.core.types import BookLevel, Candle, ProductRules, Trade
from trader.matching.types import BookUpdate, MarketEvent
from trader.recorded import BookEvent, read_ws_capture
from trader.sim.market.bars import split_bar
from trader.sim.market.daily import DAILY_DAYS, daily_walk, day_notional, floor_day
from trader.sim.market.walk import history_candles, to_ticks

HISTORY_MINUTES = 1500
SYNTHETIC_VOL = 0.0008


def _book(event: BookEvent) -> BookUpdate:
    return BookUpdate(
        event.product_id,
        tuple(BookLevel(p, s) for p, s in event.bids),
        tuple(BookLevel(p, s) for p, s in event.asks),
        event.time,
        snapshot=event.snapshot,
    )


class WsCaptureSource:
    """Implements `trader.sim.contract.MarketSource`."""

    def __init__(
        self,
        path: Path,
        *,
        start: float,
        speed: float,
        seed: int,
        products: int = 2,
        daily_days: int = DAILY_DAYS,
    ):
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        if daily_days < 0:
            raise ValueError("daily_days must not be negative")
        self._seed, self._daily_days = seed, daily_days
        capture = read_ws_capture(path)
        self._origin = min((b.time for b in capture.books), default=capture.first_time)
        self._start, self._speed = start, speed
        recorded = {e.product_id for e in capture.books} | {t.product_id for t in capture.trades}
        known = {r.product_id: r for r in capture.products}
        self._rules = {pid: known[pid] for pid in sorted(recorded)[:products]}
        events: list[MarketEvent] = [_book(e) for e in capture.books]
        events += [replace(t, time=max(t.time, self._origin)) for t in capture.trades]
        kept = [e for e in events if e.product_id in self._rules]
        kept.sort(key=lambda e: (e.time, isinstance(e, BookUpdate)))
        self._events = deque(kept)
        self._history = {
            pid: self._build_history(pid, capture.candles, seed) for pid in self._rules
        }
        self._recent = [
            replace(t, time=min(self._venue_time(t.time), start))
            for t in capture.snapshot_trades
            if t.product_id in self._rules
        ]

    def products(self) -> list[ProductRules]:
        return list(self._rules.values())

    def history(self, product_id: str) -> list[Candle]:
        return list(self._history.get(product_id, []))

    def recent_trades(self, product_id: str) -> list[Trade]:
        """The capture's real `market_trades` snapshot, moved onto the venue clock (before
        the start); the recorded live trades have later ids."""
        return [t for t in self._recent if t.product_id == product_id]

    def daily_history(self, product_id: str) -> list[Candle]:
        """Synthetic daily candles before the (partly synthetic) minute history."""
        minutes = self._history.get(product_id, [])
        if not minutes:
            return []
        rules = self._rules[product_id]
        return daily_walk(
            rules,
            to_ticks(minutes[0].open, rules),
            floor_day(minutes[0].start),
            self._daily_days,
            SYNTHETIC_VOL,
            day_notional(minutes),
            random.Random(f"ws-daily:{self._seed}:{product_id}"),
        )

    @property
    def finished(self) -> bool:
        return not self._events

    def advance(self, now: float) -> list[MarketEvent]:
        out: list[MarketEvent] = []
        if math.isinf(self._speed):
            if self._events:
                until = self._events[0].time + 1.0
                while self._events and self._events[0].time < until:
                    out.append(replace(self._events.popleft(), time=now))
            return out
        while self._events and self._venue_time(self._events[0].time) <= now:
            event = self._events.popleft()
            out.append(replace(event, time=self._venue_time(event.time)))
        return out

    def _venue_time(self, data_time: float) -> float:
        return self._start + (data_time - self._origin) / self._speed

    def _build_history(self, product_id: str, candles: list[Candle], seed: int) -> list[Candle]:
        rules = self._rules[product_id]
        forming = int(self._origin) // 300 * 300
        real = [
            minute
            for bar in candles
            if bar.product_id == product_id and bar.start < forming
            for minute in split_bar(bar, 5, rules.base_increment)
        ]
        end = int(self._start) // 60 * 60
        shift = end - forming
        real = [replace(c, start=c.start + shift) for c in real]
        first_open = real[0].open if real else Decimal(1)
        first_start = real[0].start if real else end
        missing = max(0, HISTORY_MINUTES - len(real))
        rng = random.Random(f"ws-history:{seed}:{product_id}")
        pre, _ = history_candles(
            rules, to_ticks(first_open, rules), first_start, missing, SYNTHETIC_VOL**2, rng
        )
        return pre + real
