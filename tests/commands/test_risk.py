"""R-3, ST-3: `trader reset-high-water-mark` opens the state file with the start's own
checks (exit 5, one line, nothing changed); its note is optional (README)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.support.state_files import (
    UNUSABLE,
    assert_refused_untouched,
    sound,
)


@pytest.mark.parametrize("kind", UNUSABLE)
def test_r3_reset_refuses_an_unusable_state_file_with_exit_5(daemon_dir, kind):
    assert_refused_untouched(
        daemon_dir, kind, ("reset-high-water-mark", "--note", "x"), "reset refused: "
    )


def test_r3_reset_without_a_note_is_audited_without_one(daemon_dir):
    state = daemon_dir.data / "trader.db"
    sound(state)
    with sqlite3.connect(state) as conn:
        conn.execute("UPDATE risk_state SET high_water_mark = '1000.50'")
    conn.close()
    result = daemon_dir.cli("reset-high-water-mark")
    assert result.returncode == 0, result.stderr
    assert "was 1000.50" in result.stdout
    with sqlite3.connect(state) as conn:
        assert conn.execute("SELECT high_water_mark FROM risk_state").fetchone()[0] is None
        payload = conn.execute(
            "SELECT payload FROM audit_events WHERE kind = 'hwm_reset'"
        ).fetchone()[0]
    conn.close()
    assert json.loads(payload) == {"old_high_water_mark": "1000.50", "note": None}
