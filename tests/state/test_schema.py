"""ST-1: SQLite in WAL mode, versioned forward migrations, money as TEXT."""

from __future__ import annotations

import sqlite3

import pytest

from trader.core.clock import wall_clock
from trader.state.db import Database, connect
from trader.state.schema import LATEST_VERSION, SchemaTooNew, migrate
from trader.state.trading_state import halt, read_status

REQUIRED_TABLES = {
    "risk_state",
    "cooldowns",
    "intents",
    "orders",
    "fills",
    "positions",
    "balances",
    "audit_events",
    "cycles",
    "proposals",
    "verdicts",
    "schema_version",
}
MONEY_COLUMNS = {
    "risk_state": {"high_water_mark", "day_start_equity"},
    "intents": {"base_size", "quote_size", "limit_price", "filled_size", "filled_value", "fees"},
    "fills": {"price", "size", "commission"},
    "positions": {"base_size", "average_cost", "realized_pnl", "fees_paid"},
    "balances": {"available", "hold"},
}


def test_st1_wal_mode_tables_and_money_as_text(tmp_path):
    conn = connect(tmp_path / "t.db")
    migrate(conn)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= REQUIRED_TABLES
    for table, columns in MONEY_COLUMNS.items():
        types = {r["name"]: r["type"] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert all(types[c] == "TEXT" for c in columns), (table, types)


def test_st1_migrations_are_idempotent_and_refuse_a_newer_schema(tmp_path):
    conn = connect(tmp_path / "t.db")
    assert migrate(conn) == list(range(1, LATEST_VERSION + 1))
    assert migrate(conn) == []
    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (LATEST_VERSION + 1,))
    with pytest.raises(SchemaTooNew):
        migrate(conn)


def test_st1_trading_state_defaults_active_and_halt_is_audited(tmp_path):
    conn = connect(tmp_path / "t.db")
    migrate(conn)
    assert read_status(conn).state.value == "ACTIVE"
    first = halt(conn, "daily_loss", None, 100.0, "test")
    second = halt(conn, "kill_switch", "drill", 200.0, "test")
    assert second.halt_reason == "kill_switch" and second.halted_at == first.halted_at == 100.0
    assert second.version == first.version + 1
    kinds = [r[0] for r in conn.execute("SELECT kind FROM audit_events ORDER BY event_id")]
    assert kinds == ["halt", "halt"]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE risk_state SET trading_state = 'PAUSED'")


async def test_st1_database_runs_work_off_the_event_loop(tmp_path):
    import threading

    db = await Database.open(tmp_path / "t.db", wall_clock)
    try:
        thread = await db.run(lambda conn: threading.current_thread().name)
        assert thread.startswith("trader-sqlite")
        assert threading.current_thread().name != thread
    finally:
        await db.close()
    with pytest.raises(RuntimeError, match="closed"):
        await db.run(lambda conn: None)
