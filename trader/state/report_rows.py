"""The rows of a backtest's report (BT-1): its fills and intents, in a stable order so
that the report is byte-identical run to run."""

from __future__ import annotations

import sqlite3
from typing import Any


def read_fills(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every fill with the purpose of its intent, by trade time, then trade id."""
    rows = conn.execute(
        "SELECT f.trade_time, f.product_id, f.side, f.price, f.size, f.commission, f.liquidity, "
        "f.intent_id, i.purpose, i.strategy FROM fills f LEFT JOIN intents i USING (intent_id) "
        "ORDER BY f.trade_time, f.trade_id"
    ).fetchall()
    keys = ("time", "product_id", "side", "price", "size", "fee", "liquidity", "intent_id")
    return [dict(zip((*keys, "purpose", "strategy"), tuple(r), strict=True)) for r in rows]


def read_intents(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every intent, by creation time, then id."""
    rows = conn.execute(
        "SELECT intent_id, created_at, cycle_id, product_id, side, purpose, state, base_size, "
        "limit_price, filled_size, fees, reason, reject_reason, parent_intent_id, strategy "
        "FROM intents "
        "ORDER BY created_at, intent_id"
    ).fetchall()
    return [dict(r) for r in rows]
