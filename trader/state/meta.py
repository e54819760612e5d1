"""The `meta` table: one text value per key (the installation namespace, the last
valuation, the recorded product rules). Functions take a connection and run on the
database thread (`Database.run`); a write outside a transaction commits on its own."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

VALUATION_KEY = "valuation"  # what each decision step valued the book at (desk/record.py)


def read_value(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def read_values(conn: sqlite3.Connection, keys: Sequence[str]) -> dict[str, str]:
    """The stored values of `keys` (a key not stored is absent)."""
    marks = ",".join("?" for _ in keys)
    rows = conn.execute(f"SELECT key, value FROM meta WHERE key IN ({marks})", tuple(keys))
    return {str(row[0]): str(row[1]) for row in rows.fetchall()}


def write_value(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Store `value` under `key`, replacing what was there."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def insert_absent(conn: sqlite3.Connection, key: str, value: str) -> str:
    """Store `value` under `key` unless a value is there already; return the stored one."""
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0])
