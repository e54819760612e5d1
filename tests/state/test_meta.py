"""ST-1: the meta table's key/values."""

from __future__ import annotations

from trader.state.db import open_and_migrate
from trader.state.meta import insert_absent, read_value, read_values, write_value


def test_st1_meta_values_are_written_replaced_and_read(tmp_path):
    conn = open_and_migrate(tmp_path / "s.db")
    try:
        assert read_value(conn, "valuation") is None
        write_value(conn, "valuation", "{}")
        write_value(conn, "valuation", '{"equity": "1"}')
        assert read_value(conn, "valuation") == '{"equity": "1"}'
        assert read_values(conn, ("valuation", "absent")) == {"valuation": '{"equity": "1"}'}
    finally:
        conn.close()


def test_st1_insert_absent_keeps_the_first_value(tmp_path):
    conn = open_and_migrate(tmp_path / "s.db")
    try:
        assert insert_absent(conn, "k", "first") == "first"
        assert insert_absent(conn, "k", "second") == "first"
        assert read_value(conn, "k") == "first"
    finally:
        conn.close()
