"""`BarReplay`: a `MarketSource` replaying recorded bars on the venue's clock (SIM-1).

Data time d maps to venue time `start + (d − replay_from) / speed`. With `speed = inf` each
`advance(now)` call releases the next bar slot (every product's bar of the next timestamp)
stamped `now`, so the replay runs as fast as the caller advances. For finite speeds the
output does not depend on how `now` is chunked. Bars become trades and books via `bars.py`;
history candles are moved onto the venue clock so the last one ends at the start minute.
Daily history (real recorded daily bars in data time, `daily=`) keeps only the days before the
UTC day of the first history candle and is moved by whole days (`daily.to_venue_days`) so
that day lands on the venue day of the first venue history candle; starts stay on UTC
midnights, and a daily bar never reaches into the minute history or past the replay start.
The replay ends when the data does (`finished`); later calls return nothing.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace

from trader.core.types import Candle, ProductRules, Trade
from trader.matching.types import MarketEvent
from trader.sim.market.bars import TopOfBook, bar_events
from trader.sim.market.daily import to_venue_days
from trader.sim.market.prehistory import next_trade_id, prehistory_trades


class BarReplay:
    """Implements `trader.sim.contract.MarketSource`."""

    def __init__(
        self,
        bars: dict[str, list[Candle]],
        rules: dict[str, ProductRules],
        *,
        bar_seconds: int,
        replay_from: int,
        start: float,
        speed: float,
        history: dict[str, list[Candle]],
        tops: dict[str, dict[int, TopOfBook]] | None = None,
        daily: dict[str, list[Candle]] | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._rules = rules
        self._bar_seconds = bar_seconds
        self._replay_from = replay_from
        self._start = start
        self._speed = speed
        self._tops = tops or {}
        shift = int(start) // 60 * 60 - replay_from
        self._history = {
            pid: [replace(c, start=c.start + shift) for c in candles if c.start < replay_from]
            for pid, candles in history.items()
        }
        self._daily: dict[str, list[Candle]] = {}
        for pid, days in (daily or {}).items():
            first = min(
                (c.start for c in history.get(pid, []) if c.start < replay_from),
                default=replay_from,
            )
            self._daily[pid] = to_venue_days(days, first, first + shift)
        slots: dict[int, list[Candle]] = {}
        for product_id in rules:
            for bar in bars.get(product_id, []):
                if bar.start >= replay_from:
                    slots.setdefault(bar.start, []).append(bar)
        self._slots = deque(sorted(slots.items()))
        self._pending: deque[MarketEvent] = deque()
        self._recent = {
            pid: prehistory_trades(r, self._history.get(pid, [])) for pid, r in rules.items()
        }
        self._trade_ids = {pid: next_trade_id(self._recent[pid]) for pid in rules}

    @property
    def replay_from(self) -> int:
        """The data time (epoch s) that maps to the venue's `start`."""
        return self._replay_from

    @property
    def finished(self) -> bool:
        return not self._slots and not self._pending

    def products(self) -> list[ProductRules]:
        return list(self._rules.values())

    def history(self, product_id: str) -> list[Candle]:
        return list(self._history.get(product_id, []))

    def daily_history(self, product_id: str) -> list[Candle]:
        return list(self._daily.get(product_id, []))

    def recent_trades(self, product_id: str) -> list[Trade]:
        """The last hour of history as trades (`prehistory.py`); live ids continue after."""
        return list(self._recent.get(product_id, []))

    def advance(self, now: float) -> list[MarketEvent]:
        if math.isinf(self._speed):
            return self._slot_events(*self._slots.popleft(), now, 0.0) if self._slots else []
        out: list[MarketEvent] = []
        while True:
            while self._pending and self._pending[0].time <= now:
                out.append(self._pending.popleft())
            if self._pending or not self._slots:
                return out
            data_start = self._slots[0][0]
            venue_start = self._start + (data_start - self._replay_from) / self._speed
            if venue_start > now:
                return out
            _, bars = self._slots.popleft()
            span = self._bar_seconds / self._speed
            self._pending.extend(self._slot_events(data_start, bars, venue_start, span))

    def _slot_events(
        self, data_start: int, bars: list[Candle], venue_start: float, span: float
    ) -> list[MarketEvent]:
        keyed: list[tuple[float, int, int, MarketEvent]] = []
        for index, bar in enumerate(bars):
            rules = self._rules[bar.product_id]
            top = self._tops.get(bar.product_id, {}).get(data_start)
            events = bar_events(bar, rules, venue_start, span, self._trade_ids[bar.product_id], top)
            self._trade_ids[bar.product_id] += len(events)
            keyed.extend((e.time, index, order, e) for order, e in enumerate(events))
        keyed.sort(key=lambda item: item[:3])
        return [item[3] for item in keyed]
