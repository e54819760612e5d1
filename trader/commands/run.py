"""`trader run`: validate, pass the safety gates, take the lock, run the daemon."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from trader.commands.common import load_or_report, lock_or_report, report_live_refusals
from trader.commands.exit_codes import (
    EXIT_CONFIG,
    EXIT_ENVIRONMENT,
    EXIT_FAILURE,
    EXIT_GATE,
    EXIT_RUNNING,
    EXIT_STATE,
)
from trader.config.secrets import CredentialsError, load_credentials
from trader.daemon.app import Daemon
from trader.ops.gates import live_gate_problems
from trader.ops.http import ListenerError
from trader.ops.logging import Redactor, configure_logging
from trader.state.identity import StateFileError


def run_command(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.config)
    if loaded is None:
        return EXIT_CONFIG
    try:
        credentials = load_credentials()
    except CredentialsError as exc:
        print(f"credentials error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    problems = live_gate_problems(
        loaded, credentials, confirm_flag=args.confirm_live, env=os.environ
    )
    if problems:
        report_live_refusals(problems)
        return EXIT_GATE
    lock = lock_or_report(loaded, "not started")
    if lock is None:
        return EXIT_RUNNING
    redactor = Redactor(credentials.secret_values() if credentials else ())
    logs = configure_logging(loaded.app.logging, loaded.log_file, redactor)
    daemon: Daemon | None = None
    try:
        daemon = Daemon(loaded, credentials=credentials)
        code = asyncio.run(daemon.run())
        if daemon.refusal is not None:  # the venue refused the key (exit 4)
            report_live_refusals([daemon.refusal])
        return code
    except SystemExit:  # raised by code the daemon ran: a failure, exit as it logged
        return (daemon.exit_code if daemon is not None else 0) or EXIT_FAILURE
    except StateFileError as exc:
        print(f"not started: {exc}", file=sys.stderr)
        return EXIT_STATE
    except ListenerError as exc:
        print(f"not started: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    finally:
        logs.close()
        lock.release()
