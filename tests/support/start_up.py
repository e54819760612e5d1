"""Observable moments of `trader run`'s start, from its first line to `daemon_started`:
a test waits for one (`START_UP[name](home, daemon)`) and then signals the process."""

from __future__ import annotations

import signal
import time

from tests.support.daemon import DaemonDir, wait_for
from trader.ops.pidlock import read_holder


def _handler_in_place(home, daemon):
    """The earliest moment `trader run` can hear a signal (its first line)."""
    wait_for(lambda: daemon.catches(signal.SIGTERM), timeout=10, interval=0.001)


def _a_moment_later(seconds):
    def moment(home, daemon):
        _handler_in_place(home, daemon)
        time.sleep(seconds)

    return moment


HOLD_WHILE_READ = """
import pathlib as _path, time as _time
if _path.Path("hold").exists():  # a test holds the start here, its configuration half read
    _path.Path("held").touch()
    while not _path.Path("go").exists():
        _time.sleep(0.01)
"""


def hold_while_configuration_read(home: DaemonDir) -> None:
    """The next start waits in the middle of reading its configuration (a strategy file),
    until `release_the_hold`."""
    with (home.root / "config/strategies/trend_following.py").open("a") as plugin:
        plugin.write(HOLD_WHILE_READ)
    (home.root / "hold").touch()


def release_the_hold(home: DaemonDir) -> None:
    (home.root / "go").touch()


def _configuration_being_read(home, daemon):
    """A strategy file of the configuration takes its time to import (waits for `go`)."""
    wait_for(lambda: (home.root / "held").exists(), timeout=20, interval=0.005)
    assert not home.data.exists()  # the lock comes after the configuration


def _lock_taken(home, daemon):
    # the PID the lock's holder writes: read, never probed (a probe would take the lock)
    pid_file = home.data / "trader.pid"
    wait_for(lambda: read_holder(pid_file) == daemon.proc.pid, timeout=20, interval=0.001)


def _state_file_opened(home, daemon):
    wait_for(lambda: (home.data / "trader.db").exists(), timeout=20, interval=0.001)


def _ready(home, daemon):
    daemon.wait_started()


START_UP = {
    "handler_in_place": _handler_in_place,
    "50ms_later": _a_moment_later(0.05),
    "300ms_later": _a_moment_later(0.3),
    "configuration_being_read": _configuration_being_read,
    "lock_taken": _lock_taken,
    "state_file_opened": _state_file_opened,
    "ready": _ready,
}
