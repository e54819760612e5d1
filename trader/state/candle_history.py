"""The candles a daemon recorded (`trader.state.candle_log` writes them), read back as a
backtest's data set (BT-1)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

from trader.core.candle_check import candle_problem
from trader.core.types import Candle


def recorded_candles(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """Every recorded candle as (product_id, start, open, high, low, close, volume, bid,
    bid_size, ask, ask_size), by product, then start."""
    rows = conn.execute(
        "SELECT product_id, start, open, high, low, close, volume, bid, bid_size, ask, "
        "ask_size FROM candles ORDER BY product_id, start"
    ).fetchall()
    return [tuple(row) for row in rows]


def recorded_between(
    conn: sqlite3.Connection, product_id: str, start: int, end: int
) -> list[Candle]:
    """The product's recorded candles starting in [start, end), oldest first (PERF-7: a
    restart backfills from its own record and asks the venue only for what came after)."""
    rows = conn.execute(
        "SELECT start, open, high, low, close, volume FROM candles "
        "WHERE product_id = ? AND start >= ? AND start < ? ORDER BY start",
        (product_id, start, end),
    ).fetchall()
    candles = [
        Candle(product_id, int(row[0]), *(Decimal(value) for value in row[1:6])) for row in rows
    ]
    for candle in candles:
        problem = candle_problem(candle)
        if problem is not None:  # the caller asks the venue for the whole span instead
            raise ValueError(f"recorded candle {product_id} {candle.start}: {problem}")
    return candles
