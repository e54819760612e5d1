"""ST-1, X-4: a write made of several store calls is one transaction: an inner
`transaction` joins the outer one as a savepoint — undone alone when it fails, committed
only when the outer one commits, nothing of either left behind when the outer one fails."""

from __future__ import annotations

import sqlite3

import pytest

from trader.state.db import connect, transaction


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
