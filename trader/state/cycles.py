"""The `cycles` table: one row per decision cycle — RUNNING when it starts, then OK or
FAILED with its stage timings; a cycle a stopped or killed process left RUNNING is closed
as ABORTED (ST-2). The backtest writes each of its steps as one finished row."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def start_cycle(
    conn: sqlite3.Connection, cycle_id: str, started: float, config_hash: str, mode: str
) -> None:
    conn.execute(
        "INSERT INTO cycles (cycle_id, started_at, status, config_hash, mode) "
        "VALUES (?, ?, 'RUNNING', ?, ?)",
        (cycle_id, started, config_hash, mode),
    )


def finish_cycle(
    conn: sqlite3.Connection,
    cycle_id: str,
    finished: float,
    status: str,
    stage_seconds: str,
    error: str | None,
) -> None:
    conn.execute(
        "UPDATE cycles SET finished_at = ?, status = ?, stage_seconds = ?, error = ? "
        "WHERE cycle_id = ?",
        (finished, status, stage_seconds, error, cycle_id),
    )


def record_finished_cycle(
    conn: sqlite3.Connection, cycle_id: str, at: float, config_hash: str, mode: str
) -> None:
    """A cycle started and finished at `at`, OK (the backtest's steps)."""
    conn.execute(
        "INSERT INTO cycles (cycle_id, started_at, finished_at, status, config_hash, mode) "
        "VALUES (?, ?, ?, 'OK', ?, ?)",
        (cycle_id, at, at, config_hash, mode),
    )


def abort_unfinished_cycles(now: float) -> Callable[[sqlite3.Connection], int]:
    """Cycles a stopped or killed process left RUNNING are closed as ABORTED at `now`."""

    def abort(conn: sqlite3.Connection) -> int:
        cursor = conn.execute(
            "UPDATE cycles SET status = 'ABORTED', finished_at = ?, "
            "error = 'process ended mid-cycle' WHERE status = 'RUNNING'",
            (now,),
        )
        return int(cursor.rowcount)

    return abort
