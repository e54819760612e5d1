"""`trader reset-high-water-mark` (R-3): the only way the high-water mark goes down.

The mark is cleared, and the next cycle sets it to the equity it observes; the old value,
who reset it and why are kept in the audit trail. A drawdown halt is left as it is: resume
with `trader resume` once you have decided to.
"""

from __future__ import annotations

import argparse
import getpass
import sys

import orjson

from trader.commands.common import load_or_report
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from trader.core.clock import wall_clock
from trader.state.db import connect, transaction
from trader.state.schema import migrate


def reset_hwm_command(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.config)
    if loaded is None:
        return EXIT_CONFIG
    if not loaded.state_db_path.exists():
        print(f"no state database at {loaded.state_db_path}: nothing to reset", file=sys.stderr)
        return EXIT_FAILURE
    conn = connect(loaded.state_db_path)
    try:
        migrate(conn)
        with transaction(conn):
            old = conn.execute("SELECT high_water_mark FROM risk_state WHERE id = 1").fetchone()[0]
            now = wall_clock()
            conn.execute(
                "UPDATE risk_state SET high_water_mark = NULL, version = version + 1, "
                "updated_at = ? WHERE id = 1",
                (now,),
            )
            payload = {"old_high_water_mark": old, "note": args.note}
            conn.execute(
                "INSERT INTO audit_events (at, kind, actor, payload) VALUES (?, ?, ?, ?)",
                (now, "hwm_reset", f"operator:{getpass.getuser()}", orjson.dumps(payload).decode()),
            )
    finally:
        conn.close()
    print(f"high-water mark cleared (was {old}); the next cycle sets it to the current equity")
    return EXIT_OK
