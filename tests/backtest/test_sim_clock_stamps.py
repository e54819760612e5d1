"""BT-1: a backtest runs on its simulated clock, so everything its state file stores is
stamped inside the data window — from the first (warm-up) bar to the end of the last bar —
and never with the machine's wall clock."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Every time column that records when something happened (deadlines such as a cooldown's
# `until` or an intent's `expires_at` lie ahead by design and are not stamps).
STAMPS = {
    "intents": ("created_at", "updated_at", "submitted_at"),
    "orders": ("updated_at",),
    "fills": ("trade_time", "recorded_at"),
    "positions": ("opened_at", "updated_at", "last_closed_at", "results_seen_at"),
    "audit_events": ("at",),
    "cycles": ("started_at", "finished_at"),
    "proposals": ("created_at",),
    "verdicts": ("created_at",),
    "cooldowns": ("created_at",),
    "balances": ("updated_at",),
    "risk_state": ("halted_at", "updated_at"),
}
MUST_HAVE_ROWS = ("intents", "orders", "fills", "positions", "audit_events", "cycles")


def _outside(conn: sqlite3.Connection, low: float, high: float) -> list[str]:
    found = []
    for table, columns in STAMPS.items():
        for column in columns:
            rows = conn.execute(
                f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL "
                f"AND ({column} < ? OR {column} > ?)",
                (low, high),
            ).fetchall()
            found += [f"{table}.{column}={row[0]}" for row in rows]
    return found


def test_bt1_every_stored_time_lies_inside_the_data_window(tmp_path, shared_data):
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "trader", "backtest", "--data",
         str(shared_data / "binance-5m-24pairs-2021"), "--from", "2021-02-01",
         "--to", "2021-02-02", "--out", str(out),
         "--config", str(REPO_ROOT / "app.yaml.example")],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run = json.loads((out / "report.json").read_text())["run"]
    low, high = run["start"] - run["warmup_s"], run["end"] + run["bar_seconds"]
    with sqlite3.connect(out / "backtest.db") as conn:
        counts = {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in MUST_HAVE_ROWS
        }
        outside = _outside(conn, low, high)
    assert all(counts.values()), f"too little happened to prove anything: {counts}"
    assert outside == [], f"stamped outside [{low}, {high}]: {outside[:20]}"
