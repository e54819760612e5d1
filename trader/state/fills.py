"""Fills as the record of truth (X-4, X-5): what they did to each balance, the balance
baseline they do not explain, which finished intents have had their fills verified, and
from when fills are read again from the venue."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import orjson

from trader.execution.intents import IntentState, state_values
from trader.state.db import transaction
from trader.state.meta import read_value, write_value

BASELINE_KEY = "balance_baseline"
FINISHED_AT_THE_VENUE = (IntentState.FILLED, IntentState.CANCELLED, IntentState.EXPIRED)


def fill_deltas(conn: sqlite3.Connection) -> dict[str, Decimal]:
    """How our fills moved each currency: base ± size, quote ∓ value and − fees."""
    deltas: dict[str, Decimal] = {}
    for product_id, side, price, size, commission in conn.execute(
        "SELECT product_id, side, price, size, commission FROM fills"
    ):
        base, quote = product_id.split("-", 1)
        size_d, value = Decimal(size), Decimal(price) * Decimal(size)
        sign = 1 if side == "BUY" else -1
        deltas[base] = deltas.get(base, Decimal(0)) + sign * size_d
        deltas[quote] = deltas.get(quote, Decimal(0)) - sign * value - Decimal(commission)
    return deltas


def load_baseline(conn: sqlite3.Connection) -> dict[str, Decimal] | None:
    stored = read_value(conn, BASELINE_KEY)
    if stored is None:
        return None
    return {k: Decimal(v) for k, v in orjson.loads(stored).items()}


def save_baseline(conn: sqlite3.Connection, totals: dict[str, Decimal], now: float) -> None:
    """Balances not explained by our fills (deposits, holdings from before) — audited."""
    deltas = fill_deltas(conn)
    baseline = {
        c: totals.get(c, Decimal(0)) - deltas.get(c, Decimal(0)) for c in set(totals) | set(deltas)
    }
    payload = orjson.dumps({k: str(v) for k, v in sorted(baseline.items())}).decode()
    with transaction(conn):
        write_value(conn, BASELINE_KEY, payload)
        conn.execute(
            "INSERT INTO audit_events (at, kind, actor, payload) VALUES (?, ?, ?, ?)",
            (now, "balance_baseline", "reconcile", payload),
        )


def unverified_orders(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(intent id, venue order id) of finished intents whose fills are not verified yet."""
    states = state_values(FINISHED_AT_THE_VENUE)
    marks = ",".join("?" for _ in states)
    return [
        (row[0], row[1])
        for row in conn.execute(
            "SELECT intent_id, exchange_order_id FROM intents WHERE fills_verified = 0 "
            f"AND exchange_order_id IS NOT NULL AND state IN ({marks}) ORDER BY created_at",
            states,
        )
    ]


def unverified_sells(conn: sqlite3.Connection, product_id: str) -> list[tuple[str, str, Decimal]]:
    """(intent id, venue order id, reported filled size) of the product's SELLs that
    finished at the venue having filled, their fills not verified yet. Searched by the
    unverified intents' index: the few recently finished, never the product's history."""
    states = state_values(FINISHED_AT_THE_VENUE)
    marks = ",".join("?" for _ in states)
    rows = conn.execute(
        "SELECT intent_id, exchange_order_id, filled_size FROM intents "
        f"WHERE fills_verified = 0 AND state IN ({marks}) AND +product_id = ? "
        "AND +side = 'SELL' AND exchange_order_id IS NOT NULL AND filled_size != '0'",
        (*states, product_id),
    ).fetchall()
    return [(row[0], row[1], Decimal(row[2])) for row in rows]


def mark_verified(conn: sqlite3.Connection, intent_ids: list[str]) -> None:
    marks = ",".join("?" for _ in intent_ids)
    conn.execute(f"UPDATE intents SET fills_verified = 1 WHERE intent_id IN ({marks})", intent_ids)


def fill_sync_start(conn: sqlite3.Connection, lookback_s: float) -> float | None:
    """`lookback_s` before the last stored fill, else before the first order sent."""
    last: float | None = conn.execute("SELECT MAX(trade_time) FROM fills").fetchone()[0]
    if last is not None:
        return last - lookback_s
    first = conn.execute(
        "SELECT MIN(submitted_at) FROM intents WHERE submitted_at IS NOT NULL"
    ).fetchone()[0]
    started: float | None = first
    return None if started is None else started - lookback_s


def fill_stored(conn: sqlite3.Connection, trade_id: str) -> bool:
    """Whether the fill with this trade id is stored."""
    row = conn.execute("SELECT 1 FROM fills WHERE trade_id = ?", (trade_id,)).fetchone()
    return row is not None
