"""OPS-4, ST-3: `trader resume` opens the state file with the start's own checks: an
unusable file is refused with exit 5 and one line, and nothing is created or changed.
`trader kill` and `trader status` need no writable data or log directory."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.read_only import read_only
from tests.support.state_files import (
    UNUSABLE,
    assert_refused_untouched,
    make_unusable,
    sound,
)


@pytest.mark.parametrize("kind", UNUSABLE)
def test_ops4_resume_refuses_an_unusable_state_file_with_exit_5(daemon_dir, kind):
    assert_refused_untouched(daemon_dir, kind, ("resume", "--note", "x"), "resume refused: ")


def test_ops4_resume_after_a_truncation_leaves_the_start_refused(daemon_dir):
    """The tester's sequence: a truncated file, `resume`, then `run` — still exit 5."""
    make_unusable(daemon_dir.data / "trader.db", "empty")
    assert daemon_dir.cli("resume").returncode == 5
    daemon = daemon_dir.start()
    assert daemon.wait(timeout=30) == 5
    assert (daemon_dir.data / "trader.db").read_bytes() == b""


def test_ops4_resume_without_a_state_file_creates_none(daemon_dir):
    result = daemon_dir.cli("resume")
    assert result.returncode == 1 and "no state database" in result.stderr
    assert not (daemon_dir.data / "trader.db").exists()


def _halted(state: Path) -> Path:
    """A sound state file whose trading state an operator halted."""
    sound(state)
    with sqlite3.connect(state) as conn:
        conn.execute("UPDATE risk_state SET trading_state = 'HALTED', halt_reason = 'manual'")
    conn.close()
    return state


def test_ops4_resume_leaves_halted_on_a_sound_state_file(daemon_dir):
    state = _halted(daemon_dir.data / "trader.db")
    result = daemon_dir.cli("resume", "--note", "checked")
    assert result.returncode == 0, result.stderr
    assert "HALTED (manual) -> ACTIVE" in result.stdout
    with sqlite3.connect(state) as conn:
        assert conn.execute("SELECT trading_state FROM risk_state").fetchone()[0] == "ACTIVE"
    conn.close()


def test_ops4_a_note_with_bytes_that_are_not_utf8_is_kept_readable(daemon_dir):
    """A note from a shell that passed bytes which are not UTF-8 (`$'\\xff'`): the resume
    goes through and the audit keeps the text with U+FFFD in their place."""
    state = _halted(daemon_dir.data / "trader.db")
    result = daemon_dir.cli("resume", "--note", "checked \udcff by hand")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    with sqlite3.connect(state) as conn:
        assert conn.execute("SELECT trading_state FROM risk_state").fetchone()[0] == "ACTIVE"
        payloads = [row[0] for row in conn.execute("SELECT payload FROM audit_events")]
    conn.close()
    assert any("checked \ufffd by hand" in p for p in payloads), payloads


def test_ops4_kill_with_a_reason_that_is_not_utf8_engages(daemon_dir):
    result = daemon_dir.cli("kill", "--reason", "disk \udcfe\udcff\nfull")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert daemon_dir.kill_switch.read_text(encoding="utf-8").startswith("disk \ufffd\ufffd\nfull")
    assert sorted(p.name for p in daemon_dir.data.iterdir()) == ["KILL_SWITCH"]  # no temp left


@pytest.mark.parametrize("directory", ["data", "logs"])
def test_ops4_kill_with_a_read_only_directory_says_what_it_did_not_a_config_error(
    daemon_dir, directory
):
    """No daemon runs: a read-only data directory is "kill switch NOT engaged" naming the
    file (exit 1), a read-only log directory (kill writes no log) engages it (exit 0) —
    both were refused as configuration errors (exit 2)."""
    sound(daemon_dir.data / "trader.db")
    daemon_dir.logs.mkdir()
    with read_only(daemon_dir.root / directory):
        killed = daemon_dir.cli("kill", "--reason", "drill")
        status = daemon_dir.cli("status") if directory == "logs" else None
    assert "config error" not in killed.stderr and "Traceback" not in killed.stderr
    if directory == "data":
        assert killed.returncode == 1, killed.stderr
        assert killed.stderr.startswith("kill switch NOT engaged: ")
        assert str(daemon_dir.kill_switch) in killed.stderr
    else:
        assert killed.returncode == 0 and daemon_dir.kill_switch.exists(), killed.stderr
        assert status is not None and status.returncode == 0, status.stderr
