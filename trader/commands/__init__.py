"""One module per `trader` subcommand, imported only when its command runs (a
`check-config` or `status` does not pay for the backtest's or the simulator's imports)."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

HANDLERS: dict[str, tuple[str, str]] = {
    "run": ("run", "run_command"),
    "check-config": ("check_config", "check_config_command"),
    "status": ("status", "status_command"),
    "kill": ("operator", "kill_command"),
    "resume": ("operator", "resume_command"),
    "doctor": ("doctor", "doctor_command"),
    "sim": ("sim", "sim_command"),
    "backtest": ("backtest", "backtest_command"),
    "download": ("download", "download_command"),
    "check-strategy": ("check_strategy", "check_strategy_command"),
    "reconcile": ("reconcile", "reconcile_command"),
    "adopt": ("adopt", "adopt_command"),
    "reset-high-water-mark": ("risk", "reset_hwm_command"),
    "new-strategy": ("new_strategy", "new_strategy_command"),
}


def dispatch(args: argparse.Namespace) -> int:
    module_name, function_name = HANDLERS[args.command]
    module = importlib.import_module(f"trader.commands.{module_name}")
    handler: Callable[[argparse.Namespace], int] = getattr(module, function_name)
    return handler(args)
