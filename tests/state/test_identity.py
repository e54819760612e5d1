"""ST-3: the state file's identity — refused when empty, foreign or damaged; never a silent
fresh start where this installation traded before; noticed when deleted, replaced or
truncated under a running daemon."""

from __future__ import annotations

import os
import sqlite3
import uuid

import orjson
import pytest

from tests.support.state_files import damage, make_unusable, snapshot, sound
from trader.core.clock import wall_clock
from trader.state.db import CHECKPOINT_EVERY_WRITES, Database, open_state
from trader.state.identity import (
    NoStateFile,
    StateFileError,
    check_state,
    identity_of,
    identity_problem,
    marker_path,
)
from trader.state.schema import LATEST_VERSION, MIGRATIONS


def _open(path):
    conn, opening = open_state(path, wall_clock)
    conn.close()
    return opening


def test_st3_a_fresh_state_writes_its_installation_marker(tmp_path):
    db = tmp_path / "trader.db"
    first = _open(db)
    assert first.fresh and first.adoption_reason is None
    marker = orjson.loads(marker_path(db).read_bytes())
    assert uuid.UUID(marker["namespace"]) == first.namespace
    again = _open(db)
    assert not again.fresh and again.namespace == first.namespace


def test_st3_a_lost_state_keeps_the_namespace_and_needs_adoption(tmp_path):
    db = tmp_path / "trader.db"
    first = _open(db)
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"trader.db{suffix}").unlink(missing_ok=True)
    lost = _open(db)
    assert lost.fresh and lost.namespace == first.namespace
    assert lost.adoption_reason and "state file was lost" in lost.adoption_reason
    assert _open(db).adoption_reason == lost.adoption_reason  # until `trader adopt`


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", r"is empty \(0 bytes\)"),
        (b"not a database at all, just text" * 40, "is not a SQLite database"),
        (b"SQLite format 3\x00" + b"\xff" * 4080, "damaged"),
    ],
)
def test_st3_an_unusable_state_file_is_one_clear_error(tmp_path, content, expected):
    db = tmp_path / "trader.db"
    db.write_bytes(content)
    with pytest.raises(StateFileError, match=expected) as raised:
        _open(db)
    assert str(db) in str(raised.value) and "\n" not in str(raised.value)
    assert db.read_bytes() == content  # nothing written over it


def test_st3_a_write_ahead_log_left_by_a_lost_file_is_set_aside(tmp_path):
    db = tmp_path / "trader.db"
    conn, _ = open_state(db, wall_clock)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("UPDATE risk_state SET halt_detail = 'only in the log'")
    wal = tmp_path / "trader.db-wal"
    kept = wal.read_bytes()
    db.unlink()  # the state file goes; its log stays beside the path
    conn, opening = open_state(db, wall_clock)
    try:
        assert opening.fresh
        assert conn.execute("SELECT halt_detail FROM risk_state").fetchone()[0] is None
    finally:
        conn.close()
    aside = list(tmp_path.glob("trader.db-wal.orphaned-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == kept


def test_st3_a_damaged_page_is_refused(tmp_path):
    db = tmp_path / "trader.db"
    conn, _ = open_state(db, wall_clock)
    conn.executemany(
        "INSERT INTO audit_events (at, kind, actor, payload) VALUES (?, 'x', 'test', ?)",
        [(i, "p" * 500) for i in range(200)],
    )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    raw = bytearray(db.read_bytes())
    page = 4096
    raw[page * 5 : page * 5 + 200] = os.urandom(200)
    db.write_bytes(bytes(raw))
    with pytest.raises(StateFileError, match="damaged"):
        _open(db)


def test_st3_a_state_file_from_another_installation_is_refused(tmp_path):
    db = tmp_path / "trader.db"
    _open(db)
    marker_path(db).write_bytes(
        orjson.dumps({"namespace": str(uuid.uuid4()), "created_at": 1.0, "state_file": "x"})
    )
    with pytest.raises(StateFileError, match="was replaced"):
        _open(db)


def test_st3_identity_problems_name_what_happened(tmp_path):
    db = tmp_path / "trader.db"
    _open(db)
    opened = identity_of(db)
    assert identity_problem(db, opened) is None
    os.truncate(db, 0)
    truncated = identity_problem(db, opened)
    assert truncated.kind == "truncated" and "truncated to 0 bytes" in truncated.text
    db.unlink()
    deleted = identity_problem(db, opened)
    assert deleted.kind == "deleted" and "was deleted" in deleted.text
    db.write_bytes(b"x" * 100)
    replaced = identity_problem(db, opened, links=0)
    assert replaced.kind == "replaced" and "replaced by another file" in replaced.text


async def test_st3_database_reports_its_file_replaced_and_saves_a_copy(tmp_path):
    db_path = tmp_path / "trader.db"
    db = await Database.open_state(db_path, wall_clock)
    try:
        await db.run(lambda conn: conn.execute("UPDATE risk_state SET halt_detail = 'kept'"))
        db_path.unlink()
        assert db.identity_problem().kind == "deleted"
        db_path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4080)  # a new file there
        assert db.identity_problem().kind == "replaced"
        copy = tmp_path / "trader.db.recovered-test"
        await db.save_copy(copy)
    finally:
        await db.close()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT halt_detail FROM risk_state").fetchone()[0] == "kept"


def _write_rows(conn: sqlite3.Connection, first: int, count: int) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS note (k INTEGER, v TEXT)")
    conn.executemany("INSERT INTO note VALUES (?, ?)", [(k, "x" * 3000) for k in range(count)])


async def test_st3_a_truncated_state_file_stays_truncated_while_the_daemon_writes(tmp_path):
    """Writes go on after the file was truncated under the daemon (more than the log's
    checkpoint cadence, in pages and in calls): nothing writes the log back into the
    truncated file, so the truncation stays for the guard to see — while the file was
    its own, the log was written back as it grew."""
    path = tmp_path / "trader.db"
    db = await Database.open_state(path, wall_clock)
    try:
        for batch in range(CHECKPOINT_EVERY_WRITES + 5):
            await db.run(lambda conn, b=batch: _write_rows(conn, b * 2, 2))
        assert path.stat().st_size > 1_000_000  # checkpointed while the file was its own
        os.truncate(path, 0)
        for batch in range(2 * CHECKPOINT_EVERY_WRITES):
            await db.run(lambda conn, b=batch: _write_rows(conn, b * 2, 2))
        assert path.stat().st_size == 0
        problem = db.identity_problem()
        assert problem is not None and problem.kind == "truncated"
    finally:
        await db.close()


def test_st3_another_programs_database_is_refused_and_left_as_found(tmp_path):
    db = tmp_path / "trader.db"
    make_unusable(db, "another_program")
    before = snapshot(tmp_path)
    with pytest.raises(StateFileError, match="is not a trader state file") as raised:
        _open(db)
    assert "customers" in str(raised.value) and "\n" not in str(raised.value)
    assert snapshot(tmp_path) == before  # no trader table added, no marker, no WAL mode


def test_st3_a_damaged_page_is_summarized_in_one_line(tmp_path):
    db = tmp_path / "trader.db"
    damage(db)
    with pytest.raises(StateFileError, match="more problem") as raised:
        _open(db)
    assert "\n" not in str(raised.value) and "***" not in str(raised.value)
    with pytest.raises(StateFileError, match="more problem") as checked:
        check_state(db)
    assert str(checked.value) == str(raised.value)


def test_st3_a_database_without_tables_is_set_up(tmp_path):
    """A file SQLite created but nothing filled (a first start stopped early) holds no
    one's data: it becomes the state."""
    db = tmp_path / "trader.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("DROP TABLE t")
    conn.commit()
    conn.close()
    assert db.stat().st_size > 0
    opening = _open(db)
    assert not opening.fresh and opening.adoption_reason is None


def test_st3_a_state_file_of_an_older_schema_still_migrates(tmp_path):
    db = tmp_path / "trader.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.executescript(MIGRATIONS[0][1] + "; INSERT INTO schema_version VALUES (1);")
    conn.close()
    opening = _open(db)
    assert not opening.fresh
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == (
            LATEST_VERSION
        )
    check.close()


def test_st3_check_state_reads_without_creating_anything(tmp_path):
    db = tmp_path / "trader.db"
    with pytest.raises(NoStateFile):
        check_state(db)
    assert list(tmp_path.iterdir()) == []
    sound(db)
    before = snapshot(tmp_path)
    check_state(db)
    assert snapshot(tmp_path) == before
