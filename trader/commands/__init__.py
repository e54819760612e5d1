"""One module per `trader` subcommand."""

from __future__ import annotations

import argparse


def dispatch(args: argparse.Namespace) -> int:
    from trader.commands import (
        adopt,
        backtest,
        check_config,
        doctor,
        operator,
        reconcile,
        risk,
        run,
        sim,
        status,
    )

    handlers = {
        "run": run.run_command,
        "check-config": check_config.check_config_command,
        "status": status.status_command,
        "kill": operator.kill_command,
        "resume": operator.resume_command,
        "doctor": doctor.doctor_command,
        "sim": sim.sim_command,
        "backtest": backtest.backtest_command,
        "reconcile": reconcile.reconcile_command,
        "adopt": adopt.adopt_command,
        "reset-high-water-mark": risk.reset_hwm_command,
    }
    return handlers[args.command](args)
