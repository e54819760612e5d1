"""Fixtures of the execution tests: a fresh state file, migrated, on one connection."""

from __future__ import annotations

import pytest

from trader.state.db import open_and_migrate


@pytest.fixture
def conn(tmp_path):
    conn = open_and_migrate(tmp_path / "s.db")
    yield conn
    conn.close()
