"""`trader reset-high-water-mark` (R-3): the only way the high-water mark goes down.

The mark is cleared, and the next cycle sets it to the equity it observes; the old value,
who reset it and why are kept in the audit trail. A drawdown halt is left as it is: resume
with `trader resume` once you have decided to.
"""

from __future__ import annotations

import argparse
import getpass
import sqlite3

from trader.commands.common import change_state_or_report, load_or_report
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_OK
from trader.core.clock import wall_clock
from trader.state.portfolio import reset_high_water_mark


def reset_hwm_command(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.config, run_plugins=False)
    if loaded is None:
        return EXIT_CONFIG
    done = change_state_or_report(loaded, "reset refused", lambda conn: _reset(conn, args.note))
    if isinstance(done, int):
        return done
    print(done)
    return EXIT_OK


def _reset(conn: sqlite3.Connection, note: str | None) -> str:
    old = reset_high_water_mark(conn, note, f"operator:{getpass.getuser()}", wall_clock())
    return f"high-water mark cleared (was {old}); the next cycle sets it to the current equity"
