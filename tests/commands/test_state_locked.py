"""ST-1, ST-3: the operator's commands on a state file another program keeps locked (an
open `sqlite3` shell, a backup): one line naming the lock (never "damaged": the file is
not), exit 5 when they cannot do their work, nothing changed, nothing left behind."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support.state_files import HOLDERS, lock_held, snapshot, sound

LOCKED = "is locked by another process"


def _halted(daemon_dir) -> None:
    """A sound state file, HALTED (so that `resume` has something to write)."""
    state = daemon_dir.data / "trader.db"
    sound(state)
    with sqlite3.connect(state) as conn:
        conn.execute("UPDATE risk_state SET trading_state = 'HALTED', halt_reason = 'manual'")
    conn.close()


def _trading_state(daemon_dir) -> str:
    with sqlite3.connect(daemon_dir.data / "trader.db") as conn:
        (state,) = conn.execute("SELECT trading_state FROM risk_state").fetchone()
    conn.close()
    return str(state)


def _one_line(result, prefix: str, state) -> None:
    assert result.returncode == 5, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(prefix) and LOCKED in line and str(state) in line, line
    assert "damaged" not in line


@pytest.mark.parametrize("holder", HOLDERS)
@pytest.mark.parametrize(
    ("args", "prefix"),
    [
        (("resume", "--note", "x"), "resume refused: "),
        (("reset-high-water-mark",), "reset refused: "),
    ],
)
def test_st1_a_change_while_another_program_keeps_the_file_locked_is_exit_5_in_one_line(
    daemon_dir, holder, args, prefix
):
    _halted(daemon_dir)
    state = daemon_dir.data / "trader.db"
    with lock_held(state, holder):
        result = daemon_dir.cli(*args, timeout=30)
    _one_line(result, prefix, state)
    assert _trading_state(daemon_dir) == "HALTED"  # nothing changed


def test_st3_status_and_doctor_name_a_file_nobody_else_may_read_as_locked(daemon_dir):
    state = daemon_dir.data / "trader.db"
    sound(state)
    with lock_held(state, "exclusive_mode"):
        before = snapshot(daemon_dir.data)
        status = daemon_dir.cli("status", timeout=30)
        doctor = daemon_dir.cli("doctor", timeout=30)
        assert snapshot(daemon_dir.data) == before
    _one_line(status, "status unavailable: ", state)
    (line,) = [x for x in doctor.stdout.splitlines() if " state_file: " in x]
    assert doctor.returncode == 1 and line.startswith("FAIL") and LOCKED in line, doctor.stdout


def test_st1_status_reads_past_another_programs_open_write(daemon_dir):
    """WAL: a write transaction held elsewhere does not stop a reader."""
    sound(daemon_dir.data / "trader.db")
    with lock_held(daemon_dir.data / "trader.db", "write_transaction"):
        result = daemon_dir.cli("status", "--json", timeout=30)
    assert result.returncode == 0, result.stderr
