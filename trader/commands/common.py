"""Helpers shared by the subcommands."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from trader.commands.exit_codes import EXIT_FAILURE, EXIT_STATE
from trader.config.issues import ConfigError, printable
from trader.config.loader import LoadedConfig, load_config
from trader.config.secrets import Credentials, CredentialsError, load_credentials
from trader.core.clock import wall_clock
from trader.ops.pidlock import AlreadyRunning, PidLock
from trader.state.db import open_state
from trader.state.identity import NoStateFile, StateFileError, unusable


def refuse(command: str, why: object) -> None:
    """`command: why` on stderr: each configuration issue on its own line (each already
    shown printable), anything else on one line, a line break or other unprintable
    character (in a path given) shown as its escape."""
    text = str(why) if isinstance(why, ConfigError) else printable(str(why))
    print(f"{command}: {text}", file=sys.stderr)


def load_or_report(
    config_file: Path, *, run_plugins: bool = True, writes: bool = True
) -> LoadedConfig | None:
    """The validated config, or None after printing every problem to stderr (CFG-1).
    `run_plugins=False`: the user's strategy and filter code is not run; `writes=False`:
    the data and log directories need not be writable (`load_config`)."""
    try:
        return load_config(config_file, run_plugins=run_plugins, writes=writes)
    except ConfigError as exc:
        for issue in exc.issues:
            print(f"config error: {issue}", file=sys.stderr)
        count = len(exc.issues)
        print(
            f"{count} problem{'s' if count != 1 else ''} found; nothing was started",
            file=sys.stderr,
        )
        return None


def venue_credentials_or_report(purpose: str) -> Credentials | None:
    """API credentials from the environment, or None after one line saying what is wrong
    (`purpose`: what the command needs them for)."""
    try:
        credentials = load_credentials()
    except CredentialsError as exc:
        print(f"credentials error: {exc}", file=sys.stderr)
        return None
    if credentials is None:
        print(f"{purpose} needs API credentials (CB_API_KEY_FILE ...)", file=sys.stderr)
    return credentials


def report_live_refusals(problems: Iterable[str]) -> None:
    """One line per reason LIVE may not go on (`run`, `adopt`; exit 4)."""
    for problem in problems:
        print(f"LIVE refused: {problem}", file=sys.stderr)


def lock_or_report(loaded: LoadedConfig, refusal: str) -> PidLock | None:
    """The PID lock (OPS-1), or None after one line naming the instance that holds it."""
    loaded.data_dir.mkdir(parents=True, exist_ok=True)
    lock = PidLock(loaded.pid_path)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        print(f"{refusal}: {exc}", file=sys.stderr)
        return None
    return lock


def state_or_report(loaded: LoadedConfig, refusal: str) -> sqlite3.Connection | int:
    """The state file opened with the daemon's own checks at start (ST-3), or the exit code
    after one line on stderr: EXIT_FAILURE when there is no state file yet (none is
    created), EXIT_STATE when it is unusable (it is left as found). `refusal` begins the
    line, e.g. "resume refused"."""
    path = loaded.state_db_path
    try:
        conn, _ = open_state(path, wall_clock, create=False)
    except NoStateFile:
        print(
            f"{refusal}: no state database at {path} (the daemon has never run here)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    except StateFileError as exc:
        print(f"{refusal}: {exc}", file=sys.stderr)
        return EXIT_STATE
    return conn


def change_state_or_report(
    loaded: LoadedConfig, refusal: str, change: Callable[[sqlite3.Connection], str]
) -> str | int:
    """`change(conn)` on the state file opened as `state_or_report` does: the line it
    returns, or the exit code after one line on stderr (EXIT_STATE when the file stays
    locked by another process past the wait, or cannot be written: nothing was changed)."""
    conn = state_or_report(loaded, refusal)
    if isinstance(conn, int):
        return conn
    try:
        return change(conn)
    except sqlite3.OperationalError as exc:
        print(f"{refusal}: {unusable(loaded.state_db_path, exc)}", file=sys.stderr)
        return EXIT_STATE
    finally:
        conn.close()
