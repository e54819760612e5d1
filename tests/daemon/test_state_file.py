"""ST-3: the state file is never silently lost. Refused at start when empty, foreign or
damaged (exit 5, one line, systemd does not restart); a file deleted or truncated under the
running daemon halts it with a recovery copy; a start that finds this installation's
marker but no state trades nothing until `trader adopt` has rebuilt it from the venue.
Real daemon processes; LIVE against a standalone simulated venue where orders matter."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from tests.support.chaos import ChaosRun, check
from tests.support.daemon import DaemonDir, wait_for
from tests.support.state_files import EXPECTED, HOLDERS, lock_held, make_unusable, sound
from tests.support.venue import merge_yaml


def start_refused(daemon_dir: DaemonDir, state: Path, expected: str) -> str:
    """A start on `state` that stops: exit 5, no traceback, one `not started:` line naming
    the file and `expected`; the daemon's output."""
    daemon = daemon_dir.start()
    code = daemon.wait(timeout=30)
    output = daemon.output()
    assert code == 5, output[-2000:]
    assert "Traceback" not in output, output[-2000:]
    refusal = [line for line in output.splitlines() if line.startswith("not started:")]
    assert len(refusal) == 1 and expected in refusal[0] and str(state) in refusal[0], refusal
    return output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty (0 bytes)"),
        (b"<html>not the state</html>\n" * 50, "is not a SQLite database"),
        (b"SQLite format 3\x00" + b"\xee" * 5000, "is damaged"),
    ],
)
def test_st3_an_unusable_state_file_refuses_to_start_with_exit_5(daemon_dir, content, expected):
    daemon_dir.data.mkdir()
    state = daemon_dir.data / "trader.db"
    state.write_bytes(content)
    start_refused(daemon_dir, state, expected)
    assert state.read_bytes() == content  # left exactly as found, for the operator


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("another_program", "is not a trader state file"),
        ("damaged", "more problem"),
        ("newer_release", "written by a newer release"),
        ("version_not_a_number", "schema_version holds 'x'"),
        ("versions_missing", "schema_version is empty"),
    ],
)
def test_st3_another_programs_database_or_a_damaged_page_refuses_in_one_line(
    daemon_dir, kind, expected
):
    state = daemon_dir.data / "trader.db"
    make_unusable(state, kind)
    before = state.read_bytes()
    output = start_refused(daemon_dir, state, expected)
    assert not any(line.startswith("On tree page") for line in output.splitlines())
    assert state.read_bytes() == before  # no trader table added to it


def _venue_orders(run: ChaosRun) -> int:
    return len(run.venue.call("GET", "/ledger")["orders"])


def test_st3_state_deleted_while_running_halts_then_adoption_rebuilds_it(tmp_path):
    run = ChaosRun(tmp_path, seed=41)
    merge_yaml(run.home.config, {"execution": {"entry_ttl_s": 30}})
    try:
        daemon = run.start_daemon()
        wait_for(lambda: run.own_open() and run.venue.call("GET", "/fills")["fills"], 90, 0.1)
        state = run.home.data / "trader.db"
        state.unlink()
        status = wait_for(
            lambda: (s := daemon.status())["halt_reason"] == "state_file_lost" and s, timeout=5
        )
        assert status["state"] == "HALTED" and "was deleted" in status["halt_detail"]
        assert "trader_state_file_ok 0.0" in daemon.metrics()
        assert daemon.get("/readyz")[0] == 503
        wait_for(lambda: run.own_open() == 0, timeout=15, interval=0.1)
        copies = wait_for(lambda: list(run.home.data.glob("trader.db.recovered-*")), timeout=10)
        orders_after_halt = _venue_orders(run)
        time.sleep(2)
        assert _venue_orders(run) == orders_after_halt  # halted: nothing new is sent
        assert daemon.stop() == 0
        with sqlite3.connect(copies[0]) as conn:
            kept = conn.execute("SELECT COUNT(*) FROM intents").fetchone()[0]
        assert kept > 0  # what the daemon knew is in the recovery copy

        again = run.home.start(env=run.env)  # no state, but the marker: adoption first
        again.wait_started(timeout=60)
        wait_for(lambda: "trading" in again.status(), timeout=90)
        time.sleep(5)
        assert _venue_orders(run) == orders_after_halt
        code, body = again.get("/readyz")
        assert code == 503 and b"adoption required" in body
        assert again.stop() == 0

        adopted = run.home.cli("adopt", env=run.env, timeout=60)
        assert adopted.returncode == 0, adopted.stderr
        assert '"orders_adopted"' in adopted.stdout
        third = run.start_daemon()
        wait_for(lambda: third.status()["trading"]["reconciled"], timeout=60)
        wait_for(lambda: _venue_orders(run) > orders_after_halt, timeout=60, interval=0.2)
        run.settle()
        assert check(run.audit()) == []
    finally:
        run.stop()


def test_st3_state_truncated_while_running_halts_and_never_restarts_fresh(daemon_dir):
    """What the write-ahead log still held goes back into the file at the closing
    checkpoint: the next start finds it sound and HALTED as left, or refuses it (exit 5)."""
    daemon = daemon_dir.start()
    daemon.wait_started()
    state = daemon_dir.data / "trader.db"
    os.truncate(state, 0)
    status = wait_for(
        lambda: (s := daemon.status())["halt_reason"] == "state_file_lost" and s, timeout=5
    )
    assert "truncated" in status["halt_detail"]
    assert daemon.stop() == 0
    again = daemon_dir.start()
    try:
        again.wait_started(timeout=20)
    except RuntimeError:
        assert again.proc.returncode == 5 and "Traceback" not in again.output()
        return
    restarted = again.status()
    assert restarted["state"] == "HALTED" and restarted["halt_reason"] == "state_file_lost"
    assert again.stop() == 0


def test_st3_adopt_is_refused_outside_live_and_for_a_bad_tag(daemon_dir):
    refused = daemon_dir.cli("adopt")  # DRY_RUN on the embedded venue: nothing to adopt
    assert refused.returncode == 2 and "only a LIVE state" in refused.stderr
    daemon_dir.write_app({"mode": "LIVE", "exchange": {"venue": "coinbase", "read_only": False}})
    bad = daemon_dir.cli("adopt", "--installation", "xyz")
    assert bad.returncode == 2 and "8 hex digits" in bad.stderr
    assert "Traceback" not in refused.stderr + bad.stderr


@pytest.mark.parametrize("kind", ["fifo", "device", "link_to_nowhere"])
def test_st3_what_is_not_a_state_file_at_its_path_refuses_to_start(daemon_dir, kind):
    """A FIFO or a device at the state file's path, or a link to a file that does not
    exist (a fresh state would be made at its target): exit 5, one line, nothing made."""
    state = daemon_dir.data / "trader.db"
    make_unusable(state, kind)
    start_refused(daemon_dir, state, EXPECTED[kind])
    assert sorted(p.name for p in daemon_dir.data.iterdir()) == ["trader.db", "trader.pid"]


@pytest.mark.parametrize("holder", HOLDERS)
def test_st1_a_start_while_another_program_keeps_the_file_locked_is_exit_5(daemon_dir, holder):
    """The start's first writes wait 1 s for the lock, then the start stops: one line
    naming the lock, exit 5 (was a traceback and exit 1, restarted by systemd)."""
    state = daemon_dir.data / "trader.db"
    sound(state)
    with lock_held(state, holder):
        daemon = daemon_dir.start()
        code = daemon.wait(timeout=30)
    output = daemon.output()
    assert code == 5, output[-2000:]
    refusal = [line for line in output.splitlines() if line.startswith("not started:")]
    assert len(refusal) == 1 and "is locked by another process" in refusal[0], output[-2000:]
    assert not any(line.startswith("Traceback") for line in output.splitlines())
