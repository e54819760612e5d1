"""OPS-6: a log output that stops working is said once, not once per line, and trading
goes on. The reader of the daemon's stdout goes away (a closed pipe: `trader run | tee`,
a log shipper restarted), or the log file's disk is full (here: the file is /dev/full):
one plain line on stderr and one `log_output_failed` line through the other output; the
cycles go on; a file that can be written again says how many lines it dropped. Was: the
logging module's `--- Logging error ---` with a traceback on stderr for every line."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from tests.support.daemon import DaemonDir, wait_for


def _events(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [orjson.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def _names(events: list[dict]) -> list[str]:
    return [event["event"] for event in events]


def _cycles_after(events: list[dict], name: str) -> int:
    names = _names(events)
    return names[names.index(name) :].count("cycle_done") if name in names else 0


def _read_until(pipe: int, marker: bytes, timeout: float) -> bytes:
    """What the daemon wrote to its stdout pipe up to the line holding `marker`."""
    seen, deadline = b"", time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, seen[-2000:]
        if select.select([pipe], [], [], 0.5)[0]:
            chunk = os.read(pipe, 65536)
            assert chunk, seen[-2000:]
            seen += chunk
    return seen


def test_ops6_stdout_closed_under_a_running_daemon_is_said_once_and_trading_goes_on(
    daemon_dir: DaemonDir,
):
    stderr_path = daemon_dir.root / "stderr.log"
    with stderr_path.open("wb") as stderr:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "trader", "run", "--config", str(daemon_dir.config)],
            cwd=daemon_dir.root,
            env=daemon_dir.env(),
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    try:
        assert daemon.stdout is not None
        _read_until(daemon.stdout.fileno(), b'"trading_started"', timeout=60)
        daemon.stdout.close()  # the reader goes away
        log = daemon_dir.logs / "trader.log"
        wait_for(lambda: _cycles_after(_events(log), "log_output_failed") >= 3, 30, 0.2)
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    said = stderr_path.read_text()
    assert code == 0, said
    assert said.count("trader: stdout failed") == 1 and "Broken pipe" in said, said
    assert "Traceback" not in said and "Logging error" not in said, said
    names = _names(_events(log))
    assert names.count("log_output_failed") == 1 and names[-1] == "daemon_stopped", names[-5:]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this machine")
def test_ops6_a_log_file_that_cannot_be_written_is_said_once_and_its_dropped_lines_counted(
    daemon_dir: DaemonDir,
):
    log = daemon_dir.logs / "trader.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.symlink_to("/dev/full")  # every write: no space left on the device
    daemon = daemon_dir.start()
    try:
        daemon.wait_started(timeout=60)
        wait_for(lambda: _cycles_after(daemon.events(), "log_output_failed") >= 3, 30, 0.2)
        log.unlink()  # room again: the file is opened afresh at its path
        wait_for(lambda: _cycles_after(daemon.events(), "log_output_resumed") >= 2, 30, 0.2)
        assert _cycles_after(_events(log), "log_output_resumed") >= 1
        daemon.signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
    finally:
        daemon_dir.cleanup()
    out = daemon.output()
    assert code == 0, out[-3000:]
    assert out.count(f"trader: log file {log} failed") == 1 and "No space left" in out, out
    assert out.count(f"trader: log file {log} works again after ") == 1, out[-3000:]
    assert "Traceback" not in out and "Logging error" not in out, out[-3000:]
    resumed = next(e for e in daemon.events() if e["event"] == "log_output_resumed")
    assert resumed["dropped"] >= 3 and resumed["output"] == f"log file {log}", resumed
