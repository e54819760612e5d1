"""OPS-6: the log file outlives its directory. Removed (the directory or the file) or moved
away under a running daemon, the file is opened again at its path within about a second,
one `log_file_reopened` line says so, and later lines land in it; a rotation into a
removed directory works too. Never a traceback (was: every later line went into a deleted
file, and the next rotation printed `--- Logging error ---` with a traceback)."""

from __future__ import annotations

import logging
import shutil
import signal
from pathlib import Path

import orjson
import pytest

from tests.support.daemon import wait_for
from trader.ops.log_file import ReopeningFileHandler

LOSSES = {
    "directory removed": lambda log: shutil.rmtree(log.parent),
    "file removed": lambda log: log.unlink(),
    "file moved away": lambda log: log.rename(log.with_name("moved.log")),
}


def _events(log: Path) -> list[str]:
    if not log.exists():
        return []
    return [orjson.loads(line)["event"] for line in log.read_text().splitlines() if line]


@pytest.mark.parametrize("loss", list(LOSSES), ids=str)
def test_ops6_a_lost_log_file_is_opened_again_and_said_once(daemon_dir, loss):
    daemon = daemon_dir.start()
    daemon.wait_started(timeout=60)
    log = daemon_dir.logs / "trader.log"
    LOSSES[loss](log)
    wait_for(lambda: "log_file_reopened" in _events(log), timeout=20, interval=0.2)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0
    events = _events(log)
    assert events.count("log_file_reopened") == 1
    assert "daemon_stopped" in events[events.index("log_file_reopened") :]
    assert "Traceback" not in daemon.output() and "Logging error" not in daemon.output()


def test_ops6_a_rotation_into_a_removed_directory_reopens_it(tmp_path, capsys):
    log = tmp_path / "logs" / "trader.log"
    log.parent.mkdir()
    handler = ReopeningFileHandler(log, max_bytes=200, backups=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        shutil.rmtree(log.parent)
        for n in range(20):  # a rotation every few lines
            handler.emit(logging.makeLogRecord({"msg": f"line {n} " + "x" * 40}))
    finally:
        handler.close()
    assert "Logging error" not in capsys.readouterr().err
    written = "".join(p.read_text() for p in log.parent.iterdir())
    assert "line 19" in written
