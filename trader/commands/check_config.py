"""`trader check-config`: every error at once (exit 2), or the effective hash (exit 0)."""

from __future__ import annotations

import argparse

from trader.commands.common import load_or_report
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_OK
from trader.config.hosts import url_host


def check_config_command(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.config)
    if loaded is None:
        return EXIT_CONFIG
    app = loaded.app
    print(f"config OK: {loaded.config_file}")
    print(f"config_hash: {loaded.config_hash}")
    print(
        f"mode: {app.mode.value}  venue: {app.exchange.venue}  read_only: {app.exchange.read_only}"
    )
    print(f"data: {loaded.data_dir}  db: {loaded.state_db_path}")
    print(f"kill switch: {loaded.kill_switch_path}")
    print(f"metrics: http://{url_host(app.metrics.host)}:{app.metrics.port}/metrics")
    return EXIT_OK
