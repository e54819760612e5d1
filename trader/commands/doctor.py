"""`trader doctor`: what would stop the daemon, checked before it matters (OPS-7).

Each check prints OK, WARN or FAIL with its detail; exit 1 when any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from trader.commands.common import load_or_report
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from trader.config.environment import file_in_the_way
from trader.config.loader import LoadedConfig
from trader.config.secrets import CredentialsError, key_file_too_open, load_credentials
from trader.core.types import Mode
from trader.exchange.errors import ExchangeError
from trader.ops.pidlock import lock_is_held, read_holder
from trader.state.identity import NoStateFile, StateFileError, check_state

Result = tuple[str, str]  # (OK | WARN | FAIL, detail)
MIN_FREE_BYTES = 1 << 30


def check_lock(loaded: LoadedConfig) -> Result:
    if lock_is_held(loaded.pid_path):
        return "OK", f"held by PID {read_holder(loaded.pid_path)} (the daemon is running)"
    return "OK", f"free ({loaded.pid_path})"


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable(loaded: LoadedConfig) -> Result:
    for directory in (loaded.data_dir, loaded.log_dir):
        target = directory if directory.exists() else _nearest_existing(directory)
        if not os.access(target, os.W_OK):
            return "FAIL", f"{directory} is not writable"
        if directory.exists():
            with tempfile.TemporaryFile(dir=directory):
                pass
    return "OK", f"{loaded.data_dir} and {loaded.log_dir} writable"


def check_disk(loaded: LoadedConfig) -> Result:
    free = shutil.disk_usage(_nearest_existing(loaded.data_dir)).free
    detail = f"{free / (1 << 30):.1f} GiB free under {loaded.data_dir}"
    return ("OK" if free >= MIN_FREE_BYTES else "WARN"), detail


def check_keys(loaded: LoadedConfig) -> Result:
    try:
        credentials = load_credentials()
    except CredentialsError as exc:
        return "FAIL", str(exc)
    if credentials is None:
        needed = loaded.app.mode is Mode.LIVE or loaded.app.exchange.venue == "coinbase"
        return ("FAIL" if needed else "OK"), "no API key configured" + (
            "" if needed else " (not needed here)"
        )
    if credentials.key_file is not None and key_file_too_open(credentials.key_file):
        level = "FAIL" if loaded.app.mode is Mode.LIVE else "WARN"
        return level, f"{credentials.key_file} is readable by group or others (chmod 600)"
    return "OK", f"key {credentials.key_name} from {credentials.source}"


def check_state_file(loaded: LoadedConfig) -> Result:
    """ST-3: the checks `run` makes of the state file at start, read-only."""
    path = loaded.state_db_path
    try:
        check_state(path)
    except NoStateFile:
        return "OK", f"none yet at {path} (the first run creates it)"
    except StateFileError as exc:
        return "FAIL", str(exc)
    return "OK", f"{path}: a sound trader state file of this installation"


def check_kill_switch(loaded: LoadedConfig) -> Result:
    path = loaded.kill_switch_path
    if path.exists():
        return "WARN", f"kill-switch file present: {path}"
    blocker = file_in_the_way(path)
    if blocker is not None:  # `trader kill` can only signal the daemon (SIGUSR1)
        return "WARN", (
            f"paths.kill_switch_file {path} can never be created: its folder {blocker} "
            "is a file, not a directory"
        )
    return "OK", f"absent ({path})"


def check_venue(loaded: LoadedConfig) -> Result:
    """EX-3: reachability and clock offset against the venue's `/time`."""
    if loaded.app.exchange.venue != "coinbase":
        return "OK", f"{loaded.app.exchange.venue} venue: started inside the daemon, same clock"
    try:
        offset, skewed = asyncio.run(_measure(loaded))
    except ExchangeError as exc:
        return "FAIL", f"{loaded.app.exchange.rest_url} unreachable: {exc}"
    level = "FAIL" if skewed and loaded.app.mode is Mode.LIVE else ("WARN" if skewed else "OK")
    return level, (
        f"{loaded.app.exchange.rest_url} reachable; clock offset {offset * 1000:.0f} ms "
        f"(limit {loaded.app.exchange.max_clock_offset_ms} ms)"
    )


async def _measure(loaded: LoadedConfig) -> tuple[float, bool]:
    from trader.exchange.factory import CLOCK_INTERVAL_S, open_venue
    from trader.ops.metrics import Metrics

    exchange = open_venue(loaded.app.exchange, None, Metrics(), clock_interval_s=CLOCK_INTERVAL_S)
    try:
        offset = await exchange.clock.measure()
        return offset, exchange.clock.is_skewed()
    finally:
        await exchange.close()


CHECKS: list[tuple[str, Callable[[LoadedConfig], Result]]] = [
    ("lock", check_lock),
    ("writable", check_writable),
    ("disk", check_disk),
    ("keys", check_keys),
    ("state_file", check_state_file),
    ("kill_switch", check_kill_switch),
    ("venue", check_venue),
]


def doctor_command(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.config)
    if loaded is None:
        print("FAIL config: invalid (see above)")
        return EXIT_CONFIG
    print(f"OK   config: {loaded.config_file} hash {loaded.config_hash[:16]}")
    failed = False
    for name, check in CHECKS:
        level, detail = check(loaded)
        failed |= level == "FAIL"
        print(f"{level:<4} {name}: {detail}")
    return EXIT_FAILURE if failed else EXIT_OK
