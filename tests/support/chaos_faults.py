"""Faults the chaos run injects from outside the venue (X-1, X-7, OPS-4, ST-1, ST-3, R-5):
the venue process stopped during a kill-switch drill, another process holding the state
file's write lock, the state file deleted or truncated under the daemon, the account
endpoint failing, the daemon's wall clock stepped back (libfaketime), the daemon stopped
(SIGSTOP) with requests in flight. Each injector returns a short description for the
summary; `ChaosRun` (tests/support/chaos.py) picks them."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.daemon import wait_for

if TYPE_CHECKING:
    from tests.support.chaos import ChaosRun

FAKETIME_LIBS = (
    Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"),
    Path("/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"),
    Path("/usr/lib/faketime/libfaketime.so.1"),
)
ACCOUNTS = "/api/v3/brokerage/accounts"
ORDERS = "/api/v3/brokerage/orders"
RESEND_FAULTS: list[dict[str, Any]] = [
    {"kind": "http_429", "count": 1, "method": "POST", "on_resend": True},
    {"kind": "http_4xx", "count": 1, "status": 400, "on_resend": True},
    {"kind": "http_4xx", "count": 2, "status": 404, "error": "NOT_FOUND", "on_resend": True},
    {"kind": "http_5xx", "count": 1, "status": 503, "method": "POST", "on_resend": True},
]


def faketime_library() -> Path | None:
    return next((p for p in FAKETIME_LIBS if p.exists()), None)


def faketime_env(offset_file: Path) -> dict[str, str]:
    """The daemon's wall clock follows `offset_file` ("+0", "-120", ...); monotonic time
    (asyncio's) is left alone. Empty when libfaketime is not installed."""
    library = faketime_library()
    if library is None:
        return {}
    offset_file.write_text("+0\n")
    return {
        "LD_PRELOAD": str(library),
        "FAKETIME_TIMESTAMP_FILE": str(offset_file),
        "FAKETIME_CACHE_DURATION": "1",
        "DONT_FAKE_MONOTONIC": "1",
    }


def resend_rejection(run: ChaosRun) -> str:
    """A create whose answer is lost, then a resend answered 429, 4xx or 5xx (X-7)."""
    lost = {"kind": "timeout_after_accept", "count": 1, "path_prefix": ORDERS, "method": "POST"}
    lost["mode"] = run.rng.choice(["drop", "hold"])
    lost["hold_s"] = 2.0
    answer = dict(run.rng.choice(RESEND_FAULTS))
    run.venue.call("POST", "/faults", lost)
    run.venue.call("POST", "/faults", answer)
    return f"resend_{answer['kind']}"


def accounts_outage(run: ChaosRun) -> str:
    """The account endpoint fails for a while (R-5): no halt may follow."""
    run.venue.call(
        "POST",
        "/faults",
        {
            "kind": "http_5xx",
            "status": 503,
            "path_prefix": ACCOUNTS,
            "count": run.rng.randint(5, 40),
        },
    )
    return "accounts_outage"


def state_lock(run: ChaosRun) -> str:
    """Another process holds the state file's write lock for a few seconds (ST-1)."""
    holder = sqlite3.connect(run.state_path, timeout=10, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        time.sleep(run.rng.uniform(2.0, run.lock_max_s))
        holder.execute("ROLLBACK")
    finally:
        holder.close()
    return "state_lock"


def daemon_paused(run: ChaosRun) -> str:
    """SIGSTOP / SIGCONT of the daemon with requests in flight (X-1)."""
    assert run.daemon is not None
    run.daemon.proc.send_signal(signal.SIGSTOP)
    try:
        time.sleep(run.rng.uniform(1.0, 4.0))
    finally:
        run.daemon.proc.send_signal(signal.SIGCONT)
    return "daemon_paused"


def clock_step(run: ChaosRun) -> str:
    """The daemon's wall clock steps back, then (later) forward again to the true time."""
    if run.clock_file is None:
        return "clock_step_unavailable"
    current = run.clock_file.read_text().strip()
    back = run.rng.randint(min(5, run.clock_step_max_s), run.clock_step_max_s)
    offset = "+0" if current != "+0" else f"-{back}"
    run.clock_file.write_text(offset + "\n")
    return f"clock_step_{'back' if offset != '+0' else 'home'}"


def venue_down_drill(run: ChaosRun) -> float | None:
    """OPS-4 with the venue process stopped: the switch halts and persists at once, the
    daemon stays up and keeps trying, and once the venue answers everything is cancelled.
    Returns seconds from the venue's return to nothing open, or None without an order."""
    assert run.daemon is not None
    if not run.wait_own_open():
        return None
    run.venue.proc.send_signal(signal.SIGSTOP)
    try:
        run.home.kill_switch.touch()
        wait_for(lambda: run.stored_state()[0] == "HALTED", timeout=5, interval=0.05)
        time.sleep(run.rng.uniform(2.0, run.outage_max_s))
        if run.daemon.proc.poll() is not None:
            raise RuntimeError(f"daemon died during a venue outage: {run.daemon.output()[-3000:]}")
    finally:
        run.venue.proc.send_signal(signal.SIGCONT)
    back = time.monotonic()
    wait_for(lambda: run.own_open() == 0, timeout=30, interval=0.05)
    return time.monotonic() - back


def stranded_orders(run: ChaosRun) -> set[str]:
    """Own entries resting below a market that jumped up (they stay open until cancelled):
    the venue ids of the orders open once there are some."""
    wait_for(lambda: run.own_open(), timeout=60, interval=0.1)
    run.venue.call("POST", "/shock", {"pct": "20"})
    wait_for(lambda: run.own_open(), timeout=60, interval=0.1)
    return open_order_ids(run)


def open_order_ids(run: ChaosRun) -> set[str]:
    return {
        o["order_id"] for o in run.venue.call("GET", "/ledger")["orders"] if o["status"] == "OPEN"
    }


def lose_state(run: ChaosRun) -> str:
    """ST-3: the state file deleted (or truncated) under the daemon. It must halt with
    `state_file_lost` and cancel; the operator then stops it and puts the recovery copy
    back (a truncated file the next start refuses is rebuilt by `trader adopt`)."""
    assert run.daemon is not None
    truncate = run.rng.random() < 0.5
    if truncate:
        os.truncate(run.state_path, 0)
    else:
        run.state_path.unlink()
    wait_for(lambda: run.daemon_status().get("halt_reason") == "state_file_lost", timeout=10)
    wait_for(lambda: run.own_open() == 0, timeout=20, interval=0.05)
    if run.daemon.stop() != 0:
        raise RuntimeError(f"daemon did not stop cleanly: {run.daemon.output()[-3000:]}")
    if not truncate:
        _restore_recovery_copy(run)
    return "state_truncated" if truncate else "state_deleted"


def _restore_recovery_copy(run: ChaosRun) -> None:
    copies = sorted(run.state_path.parent.glob(f"{run.state_path.name}.recovered-*"))
    if not copies:
        raise RuntimeError("the daemon left no recovery copy of a deleted state file")
    shutil.move(copies[-1], run.state_path)
    for leftover in run.state_path.parent.glob(f"{run.state_path.name}.recovered-*"):
        leftover.unlink()
