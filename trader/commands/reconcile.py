"""`trader reconcile` (X-5): reconcile once with the venue and print the report.

While the daemon runs, it reconciles itself (every `execution.reconcile_interval_s`); the
command then prints the daemon's last report instead of racing it. The embedded simulator
and the paper exchange live inside the daemon, so for them there is nothing to reconcile
from outside. Exit 0 when clean, 1 when something differs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import Decimal

import orjson

from trader.commands.common import load_or_report, venue_credentials_or_report
from trader.commands.exit_codes import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_GATE,
    EXIT_OK,
    EXIT_STATE,
)
from trader.commands.status import collect
from trader.config.loader import LoadedConfig
from trader.core.clock import wall_clock
from trader.core.types import Mode
from trader.exchange.errors import ExchangeError
from trader.ops.pidlock import lock_is_held
from trader.state.identity import StateFileError


def reconcile_command(args: argparse.Namespace) -> int:
    loaded = load_or_report(args.config, run_plugins=False)
    if loaded is None:
        return EXIT_CONFIG
    if lock_is_held(loaded.pid_path):
        try:
            document = collect(loaded) or {}
        except StateFileError as exc:
            print(f"reconcile refused: {exc}", file=sys.stderr)
            return EXIT_STATE
        report = (document.get("trading") or {}).get("reconcile")
        print(
            orjson.dumps(
                {"source": "daemon", "report": report}, option=orjson.OPT_INDENT_2
            ).decode()
        )
        return EXIT_OK if report is None or report.get("ok") else EXIT_FAILURE
    if loaded.app.exchange.venue != "coinbase" or loaded.app.mode is Mode.PAPER:
        print(
            "nothing to reconcile outside the daemon: the embedded venue and the paper "
            "exchange exist only while it runs",
            file=sys.stderr,
        )
        return EXIT_GATE
    credentials = venue_credentials_or_report("reconcile (view permission)")
    if credentials is None:
        return EXIT_CONFIG
    try:
        report = asyncio.run(_reconcile(loaded, credentials))
    except StateFileError as exc:
        print(f"reconcile refused: {exc}", file=sys.stderr)
        return EXIT_STATE
    except ExchangeError as exc:  # a key the venue refuses, the venue down: nothing changed
        print(f"reconcile failed: the venue answered: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(orjson.dumps({"source": "venue", "report": report}, option=orjson.OPT_INDENT_2).decode())
    return EXIT_OK if report["ok"] else EXIT_FAILURE


async def _reconcile(loaded: LoadedConfig, credentials: object) -> dict[str, object]:
    from trader.config.secrets import Credentials
    from trader.exchange.factory import CLOCK_INTERVAL_S, open_venue
    from trader.execution.engine import ExecutionEngine
    from trader.execution.ids import OrderIds, installation_namespace
    from trader.execution.metrics import ExecutionMetrics
    from trader.execution.reconcile import Reconciler
    from trader.execution.tracker import OrderTracker
    from trader.ops.metrics import Metrics
    from trader.state.db import Database

    assert isinstance(credentials, Credentials)
    config = loaded.app.exchange.model_copy(
        update={"read_only": loaded.app.mode is not Mode.LIVE or loaded.app.exchange.read_only}
    )
    exchange = open_venue(config, credentials, Metrics(), clock_interval_s=CLOCK_INTERVAL_S)
    loaded.state_db_path.parent.mkdir(parents=True, exist_ok=True)
    db = await Database.open_state(loaded.state_db_path, wall_clock)
    try:
        metrics = ExecutionMetrics(Metrics())
        ids = OrderIds(await db.run(installation_namespace))
        engine = ExecutionEngine(
            db,
            exchange,
            ids,
            metrics,
            mode=loaded.app.mode.value,
            send_gate=lambda _purpose: None,
            clock=wall_clock,
        )
        tracker = OrderTracker(db, exchange, ids, metrics, wall_clock)
        tolerance = Decimal(str(loaded.app.execution.reconcile_tolerance))
        reconciler = Reconciler(
            db,
            exchange,
            ids,
            engine,
            tracker,
            tolerance=tolerance,
            quote_currencies=frozenset({loaded.universe.quote_currency}),
            clock=wall_clock,
        )
        report = await reconciler.run(startup=True)
        return report.as_dict()
    finally:
        await db.close()
        await exchange.close()
