"""`trader kill` and `trader resume` (OPS-4). Both work whether or not the daemon runs:
the file and the database are the interface, and the daemon notices within a second."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from trader.commands.common import change_state_or_report, load_or_report
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_FAILURE, EXIT_GATE, EXIT_OK
from trader.config.environment import file_in_the_way
from trader.config.issues import printable
from trader.core.clock import wall_clock
from trader.core.types import TradingState
from trader.ops.pidlock import lock_is_held, read_holder
from trader.state.trading_state import read_status, set_state


def kill_command(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.config, run_plugins=False, writes=False)
    if loaded is None:
        return EXIT_CONFIG
    path = loaded.kill_switch_path
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(wall_clock()))
    reason = f"{args.reason} (by {getpass.getuser()} at {stamp})"
    try:
        _write_switch(path, reason)
    except OSError as exc:
        return _signal_instead(loaded.pid_path, path, exc)
    print(f"kill switch engaged: {path}")
    print("the daemon halts and cancels its open orders within a second;")
    print("`trader resume` leaves HALTED once the file is removed")
    return EXIT_OK


def _write_switch(path: Path, reason: str) -> None:
    """Create the file atomically; nothing is left behind when that fails (a directory at
    the path, a read-only or full disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent)
    try:
        with open(handle, "w", encoding="utf-8") as tmp:  # a full disk fails write or close
            tmp.write(reason + "\n")
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def _signal_instead(pid_path: Path, path: Path, error: OSError) -> int:
    """The file cannot be created (read-only or full data directory): tell the running
    daemon by SIGUSR1 — it halts and cancels exactly as for the file (OPS-4)."""
    why = f"cannot create the kill-switch file (paths.kill_switch_file) {printable(str(path))}: "
    blocker = file_in_the_way(path)
    why += (
        f"its folder {printable(str(blocker))} is a file, not a directory"
        if blocker is not None
        else str(error.strerror or error)
    )
    holder = read_holder(pid_path) if lock_is_held(pid_path) else None
    if holder is None:
        print(f"kill switch NOT engaged: {why}; no daemon holds {pid_path}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        os.kill(holder, signal.SIGUSR1)
    except OSError as exc:
        print(
            f"kill switch NOT engaged: {why}; signalling the daemon (PID {holder}) failed: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    print(f"{why}; sent SIGUSR1 to the daemon (PID {holder}) instead")
    print("it halts (reason kill_switch_signal) and cancels its open orders within a second;")
    print("`trader resume` leaves HALTED")
    return EXIT_OK


def resume_command(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.config, run_plugins=False)
    if loaded is None:
        return EXIT_CONFIG
    if loaded.kill_switch_path.exists():
        print(
            f"resume refused: the kill-switch file {loaded.kill_switch_path} still exists; "
            "remove it first",
            file=sys.stderr,
        )
        return EXIT_GATE
    done = change_state_or_report(loaded, "resume refused", lambda conn: _resume(conn, args.note))
    if isinstance(done, int):
        return done
    print(done)
    return EXIT_OK


def _resume(conn: sqlite3.Connection, note: str | None) -> str:
    before = read_status(conn)
    if before.state is TradingState.ACTIVE:
        return "already ACTIVE"
    actor = f"operator:{getpass.getuser()}"
    after = set_state(conn, TradingState.ACTIVE, wall_clock(), actor, note)
    return f"resumed: {before.state.value} ({before.halt_reason}) -> {after.state.value}"
