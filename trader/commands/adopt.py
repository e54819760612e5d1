"""`trader adopt` (ST-3): the operator's word on a state that was lost.

The daemon refuses to trade in LIVE when its state file was lost (the installation marker
beside it says this installation traded before) or when a fresh state faces an account
holding a traded coin that no state explains. This command, run while the daemon is
stopped, rebuilds the state from the venue (trader.execution.adopt): it cancels this
installation's open orders, records its orders and their fills (positions follow), sets
the balance baseline from the venue's balances and clears the flag. It prints what it did.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

import orjson

from trader.commands.common import (
    load_or_report,
    lock_or_report,
    report_live_refusals,
    state_or_report,
    venue_credentials_or_report,
)
from trader.commands.exit_codes import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_GATE,
    EXIT_OK,
    EXIT_RUNNING,
    EXIT_STATE,
)
from trader.commands.options import DEFAULT_LOOKBACK_DAYS
from trader.config.loader import LoadedConfig
from trader.config.secrets import Credentials
from trader.core.clock import wall_clock
from trader.core.types import Mode
from trader.exchange.errors import ExchangeError
from trader.ops.gates import key_file_problem
from trader.state.identity import StateFileError, marker_path, read_marker


def adopt_command(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.config, run_plugins=False)
    if loaded is None:
        return EXIT_CONFIG
    problem = _usage_problem(loaded, args)
    if problem is not None:
        print(f"adopt refused: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    credentials = venue_credentials_or_report("adopt (LIVE)")
    if credentials is None:
        return EXIT_CONFIG
    refused = _key_or_state_refusal(loaded, credentials)
    if refused is not None:
        return refused
    lock = lock_or_report(loaded, "adopt refused (stop the daemon first)")
    if lock is None:
        return EXIT_RUNNING
    try:
        return asyncio.run(_adopt(loaded, credentials, args))
    except StateFileError as exc:
        print(f"adopt refused: {exc}", file=sys.stderr)
        return EXIT_STATE
    except ExchangeError as exc:  # a key the venue refuses, the venue down
        print(f"adopt failed: the venue answered: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        lock.release()


def _key_or_state_refusal(loaded: LoadedConfig, credentials: Credentials) -> int | None:
    """The exit code after one line when `run`'s key-file gate refuses the key (exit 4),
    or when this data directory has no state and no installation marker: the daemon never
    ran here, there is nothing to adopt and nothing is created (exit 1). None: go on."""
    problem = key_file_problem(credentials)
    if problem is not None:
        report_live_refusals([problem])
        return EXIT_GATE
    try:
        traded_here = read_marker(marker_path(loaded.state_db_path)) is not None
    except StateFileError as exc:
        print(f"adopt refused: {exc}", file=sys.stderr)
        return EXIT_STATE
    if traded_here:  # with or without its state file: a lost state is what adopt rebuilds
        return None
    conn = state_or_report(loaded, "adopt refused")  # the start's checks, nothing created
    if isinstance(conn, int):
        return conn
    conn.close()
    return None


def _usage_problem(loaded: LoadedConfig, args: argparse.Namespace) -> str | None:
    if loaded.app.mode is not Mode.LIVE or loaded.app.exchange.venue != "coinbase":
        return "only a LIVE state on the real venue is adopted (PAPER and DRY_RUN start over)"
    if args.installation is not None:
        tag = str(args.installation).lower()
        if len(tag) != 8 or any(c not in "0123456789abcdef" for c in tag):
            return f"--installation must be 8 hex digits, got {args.installation!r}"
    if args.since is not None and _parse_since(args.since) is None:
        return f"--since must be an ISO 8601 time, got {args.since!r}"
    return None


def _parse_since(text: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


async def _adopt(loaded: LoadedConfig, credentials: Credentials, args: argparse.Namespace) -> int:
    from trader.daemon.trading.venue_link import choose_products, exchange_config
    from trader.exchange.factory import CLOCK_INTERVAL_S, open_venue
    from trader.execution.adopt import AdoptionRefused, adopt
    from trader.ops.metrics import Metrics
    from trader.state.db import Database
    from trader.state.identity import marker_path, read_marker

    db = await Database.open_state(loaded.state_db_path, wall_clock)
    exchange = open_venue(
        exchange_config(loaded, None), credentials, Metrics(), clock_interval_s=CLOCK_INTERVAL_S
    )
    try:
        if db.opening is None or db.opening.adoption_reason is None:
            print("nothing to adopt: the state file is in use and needs no adoption")
            return EXIT_OK
        print(f"adopting: {db.opening.adoption_reason}")
        tag = (args.installation or db.opening.namespace.hex[:8]).lower()
        marker = read_marker(marker_path(loaded.state_db_path))
        floor = wall_clock() - DEFAULT_LOOKBACK_DAYS * 86400.0
        since = (
            _parse_since(args.since)
            if args.since
            else max(floor, (marker.created_at if marker else floor) - 86400.0)
        )
        assert since is not None
        bases = [p.base_currency for p in choose_products(await exchange.products(), loaded)]
        report = await adopt(db, exchange, tag, since, bases, wall_clock)
    except AdoptionRefused as exc:  # what it stored is kept; the state still needs adoption
        print(f"adopt failed: {exc}; the adoption is not finished, run it again", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        await exchange.close()
        await db.close()
    print(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode())
    if report.outside:
        print(
            "outside the daemon (never sold by it): "
            + ", ".join(f"{size} {c}" for c, size in report.outside.items())
        )
    print("adopted; start the daemon again")
    return EXIT_OK
