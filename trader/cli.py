"""`python -m trader` / `trader`: the operator's commands (OPS-7).

Exit codes: 0 ok; 1 runtime failure (or nothing to report); 2 bad configuration or usage;
3 another instance is running; 4 refused by a safety gate; 5 the state file is unusable;
6 the machine refused the start (the metrics port cannot be opened).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from trader import __version__
from trader.commands.arg_types import operator_text
from trader.commands.exit_codes import EXIT_FAILURE
from trader.commands.options import (
    adopt_options,
    backtest_options,
    check_strategy_options,
    download_options,
    sim_options,
)
from trader.config.load_limit import end_now, left_running


def _add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("app.yaml"),
        help="path to app.yaml (policy files are read from its paths.config_dir); default app.yaml",
    )


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, `COMMAND: argument --x: why` (exit 2), as the commands
    print their own; `--help` still shows the usage. Subcommand parsers are of this class."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog.removeprefix('trader ')}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="trader", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"trader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the daemon in the foreground")
    _add_config(run)
    run.add_argument("--confirm-live", action="store_true", help="operator confirmation for LIVE")

    check = sub.add_parser("check-config", help="validate the configuration, print its hash")
    _add_config(check)

    status = sub.add_parser("status", help="show state, positions, open orders, last cycle")
    _add_config(status)
    status.add_argument("--json", action="store_true", help="print the /status JSON document")

    kill = sub.add_parser("kill", help="engage the kill switch (creates the kill-switch file)")
    _add_config(kill)
    kill.add_argument(
        "--reason", type=operator_text, default="operator", help="text kept as the halt's detail"
    )

    resume = sub.add_parser(
        "resume", help="leave HALTED (refused while the kill-switch file exists)"
    )
    _add_config(resume)
    resume.add_argument(
        "--note", type=operator_text, default=None, help="text kept in the audit trail"
    )

    doctor = sub.add_parser("doctor", help="check config, lock, disk, keys, clock")
    _add_config(doctor)

    reconcile = sub.add_parser("reconcile", help="reconcile once with the venue, print the report")
    _add_config(reconcile)

    adopt = sub.add_parser(
        "adopt", help="rebuild a lost LIVE state from the venue (the daemon must be stopped)"
    )
    _add_config(adopt)

    adopt_options(adopt)

    reset = sub.add_parser(
        "reset-high-water-mark", help="clear the high-water mark (audited); the next cycle sets it"
    )
    _add_config(reset)
    reset.add_argument(
        "--note", type=operator_text, default=None, help="why (kept in the audit trail)"
    )

    new = sub.add_parser(
        "new-strategy", help="write a starting strategy file and its (disabled) registry entry"
    )
    _add_config(new)
    new.add_argument("name", help="the strategy id and file name (lower case, digits, _)")
    new.add_argument("--timeframe", default="1h", help="the bars it reads (default 1h)")

    backtest = sub.add_parser(
        "backtest", help="run the live pipeline over recorded candles, write a report (BT-1)"
    )
    backtest_options(backtest)

    download = sub.add_parser(
        "download", help="fetch the venue's candles into a folder backtest reads (BT-1)"
    )
    download_options(download)

    check_strategy = sub.add_parser(
        "check-strategy", help="replay recorded bars to catch a strategy reading the future (STR-6)"
    )
    check_strategy_options(check_strategy)

    sim = sub.add_parser("sim", help="serve the simulated Coinbase venue on loopback (SIM-1)")
    sim_options(sim)
    return parser


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written (never a stream closed since)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _logs_to_stderr() -> None:
    """Commands other than `run` print their result on stdout; their logs go to stderr."""
    import structlog

    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The command `argv` names (None: this process's command line, which then ends at
    once when the user's plugin code is still running: `end_now`)."""
    code = _command(argv)
    if argv is None and left_running():
        end_now(code)
    return code


def _command(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    from trader.commands import dispatch

    if args.command != "run":
        _logs_to_stderr()

    try:
        return dispatch(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
