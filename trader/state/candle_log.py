"""The daemon's own record of its market data, for backtests over what it saw (BT-1, BT-2).

Every closed candle the triggers receive is kept, written in one short transaction per
cycle (`flush`) and pruned to `recording.candles_keep_days`. The newest candle of each
product carries the bid/ask of the cycle that first saw it closed — the touch that cycle
decided on, which a backtest uses as the book of the next minute. The product rules and
listing times the venue gave at start are kept in `meta`, so a backtest over this file
trades on the same grid with the same universe. `trader backtest --data
data/trader.db` reads both back (`trader.backtest.data`).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, fields
from decimal import Decimal
from typing import Any

import orjson

from trader.core.types import Candle, ProductRules, Quote
from trader.state.candle_history import recorded_between
from trader.state.db import Database, transaction
from trader.state.meta import read_value

RULES_KEY = "product_rules"
LISTED_KEY = "listed_at"
DAY_S = 86400
CANDLE_S = 60
PRUNE_EVERY_S = 3600.0

Row = tuple[str, int, str, str, str, str, str, str | None, str | None, str | None, str | None]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def candle_row(candle: Candle, quote: Quote | None) -> Row:
    return (
        candle.product_id,
        candle.start,
        str(candle.open),
        str(candle.high),
        str(candle.low),
        str(candle.close),
        str(candle.volume),
        _text(quote.bid if quote else None),
        _text(quote.bid_size if quote else None),
        _text(quote.ask if quote else None),
        _text(quote.ask_size if quote else None),
    )


def rules_json(rules: list[ProductRules]) -> str:
    return orjson.dumps([asdict(r) for r in rules], default=str).decode()


def rules_from_json(text: str) -> dict[str, ProductRules]:
    """The rules `rules_json` wrote (Decimals from their text)."""
    decimals = {f.name for f in fields(ProductRules) if f.type in ("Decimal", Decimal)}
    out: dict[str, ProductRules] = {}
    for item in orjson.loads(text):
        values: dict[str, Any] = {
            k: Decimal(v) if k in decimals else v for k, v in dict(item).items()
        }
        rules = ProductRules(**values)
        out[rules.product_id] = rules
    return out


class CandleRecorder:
    def __init__(self, db: Database, keep_days: int) -> None:
        self.db = db
        self.keep_days = keep_days
        self._pending: list[Candle] = []
        self._pruned_at: float | None = None  # never pruned yet

    @property
    def enabled(self) -> bool:
        return self.keep_days > 0

    def add(self, candle: Candle) -> None:
        if self.enabled:
            self._pending.append(candle)

    async def listing_times(self) -> dict[str, float]:
        """The listing times saved at an earlier start (none when not recording; a value
        that is not a time is left out, so the venue is asked for it again)."""
        if not self.enabled:
            return {}
        text = await self.db.run(lambda conn: read_value(conn, LISTED_KEY))
        try:
            saved = orjson.loads(text) if text is not None else {}
        except orjson.JSONDecodeError:
            return {}
        if not isinstance(saved, dict):
            return {}
        return {
            str(pid): float(at)
            for pid, at in saved.items()
            if isinstance(at, int | float) and not isinstance(at, bool) and math.isfinite(at)
        }

    async def recorded_between(self, product_id: str, start: int, end: int) -> list[Candle]:
        return await self.db.run(lambda conn: recorded_between(conn, product_id, start, end))

    async def save_products(self, rules: list[ProductRules], listed_at: dict[str, float]) -> None:
        if not self.enabled:
            return
        values = {RULES_KEY: rules_json(rules), LISTED_KEY: orjson.dumps(listed_at).decode()}
        await self.db.run(lambda conn: _save_meta(conn, values))

    async def flush(self, now: float, quotes: Mapping[str, Quote]) -> int:
        """Write the candles closed since the last cycle; the newest of each product that
        closed within the last two minutes gets this cycle's quote."""
        pending, self._pending = self._pending, []
        newest = {c.product_id: c for c in pending}

        def quote_of(candle: Candle) -> Quote | None:
            just_closed = candle.start + 2 * CANDLE_S >= now
            is_newest = newest[candle.product_id] is candle
            return quotes.get(candle.product_id) if just_closed and is_newest else None

        rows = [candle_row(c, quote_of(c)) for c in pending]
        prune_before = None
        due = self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY_S
        if self.enabled and due:
            prune_before = int(now) - self.keep_days * DAY_S
            self._pruned_at = now
        if rows or prune_before is not None:
            await self.db.run(lambda conn: _write(conn, rows, prune_before))
        return len(rows)


def _save_meta(conn: sqlite3.Connection, values: dict[str, str]) -> None:
    with transaction(conn):
        for key, value in values.items():
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def _write(conn: sqlite3.Connection, rows: list[Row], prune_before: int | None) -> None:
    with transaction(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO candles (product_id, start, open, high, low, close, volume, "
            "bid, bid_size, ask, ask_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        if prune_before is not None:
            conn.execute("DELETE FROM candles WHERE start < ?", (prune_before,))
