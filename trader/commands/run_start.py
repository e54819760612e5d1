"""The steps of `trader run` after its signal handlers are in place (commands/run.py):
validate, pass the safety gates, take the lock, run the daemon. Between the steps, a stop
asked for since the command began (`EarlyStop`) ends the start: one `daemon_stopped` line
(`during`: `start-up`), exit 0, the lock released."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import structlog

from trader.commands.common import load_or_report, lock_or_report, report_live_refusals
from trader.commands.exit_codes import (
    EXIT_CONFIG,
    EXIT_ENVIRONMENT,
    EXIT_FAILURE,
    EXIT_GATE,
    EXIT_OK,
    EXIT_RUNNING,
    EXIT_STATE,
)
from trader.config.app import LoggingConfig
from trader.config.loader import LoadedConfig
from trader.config.secrets import Credentials, CredentialsError, load_credentials
from trader.daemon.app import Daemon
from trader.daemon.signals import report_not_applied
from trader.ops.early_stop import EarlyStop
from trader.ops.gates import live_gate_problems
from trader.ops.http import ListenerError
from trader.ops.logging import Redactor, configure_logging
from trader.ops.pidlock import PidLock
from trader.state.identity import StateFileError


def start_daemon(args: argparse.Namespace, early: EarlyStop) -> int:
    if early.requested:
        return _stopped_before_the_lock(early, None)
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
    if early.requested:
        return _stopped_before_the_lock(early, loaded)
    lock = lock_or_report(loaded, "not started")
    if lock is None:
        return EXIT_RUNNING
    return _run_locked(loaded, credentials, lock, early)


def _run_locked(
    loaded: LoadedConfig, credentials: Credentials | None, lock: PidLock, early: EarlyStop
) -> int:
    redactor = Redactor(credentials.secret_values() if credentials else ())
    logs = configure_logging(loaded.app.logging, loaded.log_file, redactor)
    daemon: Daemon | None = None
    try:
        if early.requested:
            _log_stopped(early)
            return EXIT_OK
        daemon = Daemon(loaded, credentials=credentials, early_stop=early, pid_lock=lock)
        code = asyncio.run(daemon.run())
        if daemon.refusal is not None:  # the venue refused the key (exit 4)
            report_live_refusals([daemon.refusal])
        if daemon.build_refusal is not None:  # the user's code did not build (exit 2)
            print(f"config error: {daemon.build_refusal}", file=sys.stderr)
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
        early.listen()  # the event loop's handlers are gone: no default action from here
        logs.close()
        lock.release()


def _stopped_before_the_lock(early: EarlyStop, loaded: LoadedConfig | None) -> int:
    """A stop before the lock is taken: its line goes to stdout only (nothing is created
    on disk), in the configured format once the configuration has been read."""
    config = loaded.app.logging if loaded is not None else LoggingConfig()
    logs = configure_logging(config.model_copy(update={"stdout": True}), None, Redactor())
    try:
        _log_stopped(early)
    finally:
        logs.close()
    return EXIT_OK


def _log_stopped(early: EarlyStop) -> None:
    assert early.signal is not None
    report_not_applied(early)
    structlog.get_logger("trader.daemon").info(
        "daemon_stopped", exit_code=EXIT_OK, during="start-up", signal=early.signal.name
    )
