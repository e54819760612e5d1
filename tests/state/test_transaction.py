"""ST-1, X-4: a write made of several store calls is one transaction: an inner
`transaction` joins the outer one as a savepoint — undone alone when it fails, committed
only when the outer one commits, nothing of either left behind when the outer one fails.
`one_write` (a write of one statement) is a transaction of its own when alone and adds
nothing inside another: a failing statement undoes its own changes there by itself."""

from __future__ import annotations

import sqlite3

import pytest

from trader.state.db import connect, one_write, transaction


@pytest.fixture
def conn(tmp_path):
    conn = connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE t (v INTEGER)")
    yield conn
    conn.close()


def _values(path) -> list[int]:
    """What another connection reads: only committed rows."""
    other = sqlite3.connect(path)
    try:
        return [row[0] for row in other.execute("SELECT v FROM t ORDER BY v")]
    finally:
        other.close()


def _insert(conn: sqlite3.Connection, value: int) -> None:
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES (?)", (value,))


def test_st1_inner_transactions_commit_with_the_outer_one(conn, tmp_path):
    with transaction(conn):
        _insert(conn, 1)
        _insert(conn, 2)
        assert conn.in_transaction and _values(tmp_path / "t.db") == []
    assert not conn.in_transaction and _values(tmp_path / "t.db") == [1, 2]


def test_st1_a_failed_inner_transaction_is_undone_alone(conn, tmp_path):
    with transaction(conn):
        _insert(conn, 1)
        with pytest.raises(RuntimeError), transaction(conn):
            conn.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError("the inner write failed")
        _insert(conn, 3)
    assert _values(tmp_path / "t.db") == [1, 3]


def test_st1_a_failed_outer_transaction_leaves_nothing(conn, tmp_path):
    with pytest.raises(RuntimeError), transaction(conn):
        _insert(conn, 1)
        with transaction(conn):
            _insert(conn, 2)
        raise RuntimeError("the outer write failed")
    assert not conn.in_transaction and _values(tmp_path / "t.db") == []
    _insert(conn, 4)  # the connection is usable again
    assert _values(tmp_path / "t.db") == [4]


def _statements(conn: sqlite3.Connection) -> list[str]:
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    return seen


def test_st1_one_write_alone_is_its_own_transaction(conn, tmp_path):
    seen = _statements(conn)
    with one_write(conn):
        conn.execute("INSERT INTO t VALUES (1)")
        assert _values(tmp_path / "t.db") == []
    assert seen == ["BEGIN IMMEDIATE", "INSERT INTO t VALUES (1)", "COMMIT"]
    with pytest.raises(RuntimeError), one_write(conn):
        conn.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("the write's caller failed")
    assert not conn.in_transaction and _values(tmp_path / "t.db") == [1]


def test_st1_one_write_inside_a_transaction_adds_no_savepoint_and_a_failed_one_undoes_itself(
    conn, tmp_path
):
    conn.execute("CREATE TABLE u (v INTEGER UNIQUE)")
    conn.execute("INSERT INTO u VALUES (1), (2), (3)")
    with transaction(conn):
        _insert(conn, 1)
        seen = _statements(conn)
        with one_write(conn):
            conn.execute("INSERT INTO t VALUES (2)")
        with pytest.raises(sqlite3.IntegrityError), one_write(conn):
            # rows 1 and 2 become 11 and 12 before row 3 collides with 12: all undone
            conn.execute("UPDATE u SET v = v + 10 - (v = 3) * 1 WHERE v <= 3")
        assert seen == ["INSERT INTO t VALUES (2)", seen[1]]  # no SAVEPOINT, no RELEASE
        _insert(conn, 3)
    assert _values(tmp_path / "t.db") == [1, 2, 3]
    assert [row[0] for row in conn.execute("SELECT v FROM u ORDER BY v")] == [1, 2, 3]
