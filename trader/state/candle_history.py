"""The candles a daemon recorded (`trader.state.candle_log` writes them), read back as a
backtest's data set (BT-1)."""

from __future__ import annotations

import sqlite3
from typing import Any


def recorded_candles(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """Every recorded candle as (product_id, start, open, high, low, close, volume, bid,
    bid_size, ask, ask_size), by product, then start."""
    rows = conn.execute(
        "SELECT product_id, start, open, high, low, close, volume, bid, bid_size, ask, "
        "ask_size FROM candles ORDER BY product_id, start"
    ).fetchall()
    return [tuple(row) for row in rows]
