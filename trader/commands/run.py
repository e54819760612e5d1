"""`trader run`: validate, pass the safety gates, take the lock, run the daemon.

SIGTERM and SIGINT are heard from this command's first line on (trader/ops/early_stop.py);
the slow imports come after, in `run_start`, and a stop asked for at any step of the start
ends it with exit 0 and one `daemon_stopped` line (`during`: `start-up`).
"""

from __future__ import annotations

import argparse

from trader.ops.early_stop import EarlyStop


def run_command(args: argparse.Namespace) -> int:
    early = EarlyStop.install()  # before anything slow: the start can be stopped from here
    from trader.commands.run_start import start_daemon

    return start_daemon(args, early)
