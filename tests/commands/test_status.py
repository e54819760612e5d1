"""OPS-5, ST-3: `trader status` (daemon down) reads the state file only after the start's
own checks, read-only: an unusable file is exit 5 and one line; none is exit 1."""

from __future__ import annotations

import json
import socket

import pytest

from tests.support.daemon import DaemonDir
from tests.support.read_only import read_only
from tests.support.state_files import EXPECTED, UNUSABLE, make_unusable, snapshot, sound


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("kind", UNUSABLE)
def test_ops5_status_of_an_unusable_state_file_is_exit_5_and_one_line(daemon_dir, kind, as_json):
    state = daemon_dir.data / "trader.db"
    make_unusable(state, kind)
    before = snapshot(daemon_dir.data)
    result = daemon_dir.cli("status", *(["--json"] if as_json else []))
    assert result.returncode == 5, result.stdout
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and EXPECTED[kind] in lines[0] and str(state) in lines[0]
    assert snapshot(daemon_dir.data) == before


def test_ops5_status_without_a_state_file_is_exit_1_and_creates_none(daemon_dir):
    result = daemon_dir.cli("status")
    assert result.returncode == 1 and "no state yet" in result.stderr
    assert not daemon_dir.data.exists()


def test_ops5_status_of_a_sound_state_file_reads_it(daemon_dir):
    sound(daemon_dir.data / "trader.db")
    result = daemon_dir.cli("status", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["source"] == "database" and document["state"] == "ACTIVE"


def _status_json(home) -> dict:
    result = home.cli("status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_ops5_status_finds_a_daemon_on_the_port_the_os_chose(daemon_dir):
    """`metrics.port: 0`: the daemon notes the port it bound beside its PID lock, where
    status looks; the note goes with the lock (a clean stop), and one left by a `kill -9`
    is replaced at the next start."""
    assert daemon_dir.app["metrics"]["port"] == 0
    note = daemon_dir.data / "trader.pid.port"
    daemon = daemon_dir.start()
    port = daemon.wait_started()
    assert note.read_text() == f"{daemon.proc.pid} {port}\n"
    document = _status_json(daemon_dir)
    assert document["source"] == "daemon" and document["pid"] == daemon.proc.pid
    assert daemon.stop() == 0
    assert not note.exists()
    assert _status_json(daemon_dir)["source"] == "database"
    crashed = daemon_dir.start()
    crashed.wait_started()
    crashed.kill9()
    assert note.exists()
    assert _status_json(daemon_dir)["running"] is False  # the note of no holder: not read
    again = daemon_dir.start()
    port = again.wait_started()
    assert note.read_text() == f"{again.proc.pid} {port}\n"
    assert _status_json(daemon_dir)["source"] == "daemon"
    assert again.stop() == 0


def test_ops5_a_port_note_that_is_not_the_holders_is_not_read(daemon_dir, tmp_path):
    """A note naming another PID, one that does not parse, or one whose port another
    trader answers on (another portfolio's daemon): status reads the state file and says
    the daemon runs, never showing another process's document as this one's."""
    (tmp_path / "other").mkdir()
    other_home = DaemonDir(tmp_path / "other")
    other = other_home.start()
    other_port = other.wait_started()
    daemon = daemon_dir.start()
    port = daemon.wait_started()
    note = daemon_dir.data / "trader.pid.port"
    pid = daemon.proc.pid
    try:
        for text in (f"{pid + 1} {port}\n", "garbage\n", f"{pid} 0\n", f"{pid} {other_port}\n"):
            note.write_text(text)
            document = _status_json(daemon_dir)
            assert (document["source"], document["running"], document["pid"]) == (
                "database",
                True,
                pid,
            ), text
    finally:
        other_home.cleanup()
    assert daemon.stop() == 0


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
def test_ops5_status_finds_a_daemon_listening_on_ipv6_loopback(daemon_dir):
    """`metrics.host: ::1`: the daemon names its listener with the address in brackets and
    status reaches it there (wildcard binds: tests/config/test_hosts.py)."""
    daemon_dir.write_app({"metrics": {"host": "::1"}})
    daemon = daemon_dir.start()
    port = daemon.wait_started()
    started = next(e for e in daemon.events() if e["event"] == "daemon_started")
    assert started["metrics"] == f"http://[::1]:{port}"
    document = _status_json(daemon_dir)
    assert (document["source"], document["pid"]) == ("daemon", daemon.proc.pid)
    assert daemon.stop() == 0


@pytest.mark.parametrize("left_by", ["a clean stop", "kill -9"])
def test_ops5_status_reads_the_state_in_a_data_directory_it_cannot_write(daemon_dir, left_by):
    """`status` only reads: with no daemon running, a data directory it cannot write (a
    read-only mount, an immutable directory, another user's) is the state read as it is,
    exit 0 — was exit 5, "cannot be written" (SQLite could not make its shared-memory file
    there). After a kill -9 the write-ahead log beside the file is read too."""
    if left_by == "a clean stop":
        sound(daemon_dir.data / "trader.db")
    else:
        crashed = daemon_dir.start()
        crashed.wait_started()
        crashed.kill9()
        assert (daemon_dir.data / "trader.db-wal").exists()
    names = sorted(p.name for p in daemon_dir.data.iterdir())
    with read_only(daemon_dir.data):
        shown = daemon_dir.cli("status")
        result = daemon_dir.cli("status", "--json")
    assert result.returncode == 0 and shown.returncode == 0, result.stderr + shown.stderr
    assert "not running" in shown.stdout and shown.stderr == ""
    document = json.loads(result.stdout)
    assert (document["source"], document["running"], document["state"]) == (
        "database",
        False,
        "ACTIVE",
    )
    assert sorted(p.name for p in daemon_dir.data.iterdir()) == names
