"""ST-1: `Database.writes` counts the calls that changed the file — what cached readers
(the backtest's state pair, the order manager's working intents) read again after — and
leaves out audit-only writes, on the writer thread and inline alike."""

from __future__ import annotations

import sqlite3

import pytest

from trader.core.clock import wall_clock
from trader.state.db import Database


def _insert(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS note (x INTEGER)")
    conn.execute("INSERT INTO note VALUES (1)")


def _read(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0])


def _fail_after_writing(conn: sqlite3.Connection) -> None:
    _insert(conn)
    raise ValueError("after the write")


@pytest.fixture(params=["writer thread", "inline"])
async def db(request, tmp_path):
    if request.param == "inline":
        database = Database.open_scratch(tmp_path / "s.db", wall_clock)
    else:
        database = await Database.open(tmp_path / "s.db", wall_clock)
    yield database
    await database.close()


async def test_st1_writes_count_changing_calls_and_leave_out_audit_only_ones(db):
    await db.run(_read)
    assert db.writes == 0
    await db.run(_insert)
    assert db.writes == 1
    await db.run(_insert, audit=True)
    assert db.writes == 1
    await db.run(_read, audit=True)
    assert db.writes == 1
    assert await db.run(lambda c: c.execute("SELECT COUNT(*) FROM note").fetchone()[0]) == 2


async def test_st1_a_failed_call_counts_as_a_write_audit_or_not(db):
    for audit in (False, True):
        before = db.writes
        with pytest.raises(ValueError):
            await db.run(_fail_after_writing, audit=audit)
        assert db.writes == before + 1  # it may have written: readers read again


def _tables(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def _notes(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM note").fetchone()[0])
    finally:
        conn.close()


async def test_st1_a_scratch_state_is_a_whole_file_at_open_and_at_close(tmp_path):
    path = tmp_path / "bt.db"
    db = Database.open_scratch(path, wall_clock)
    try:
        assert {"intents", "positions", "cycles"} <= _tables(path)  # the empty state, at once
        for _ in range(3):
            await db.run(_insert)
        assert "note" not in _tables(path)  # held in memory while the run goes on
    finally:
        await db.close()
    assert _notes(path) == 3  # all of it at close
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bt.db"]  # no partial copy left


async def test_st1_a_scratch_state_that_cannot_be_written_fails_at_open(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(sqlite3.OperationalError):
        Database.open_scratch(tmp_path / "a-file" / "bt.db", wall_clock)
