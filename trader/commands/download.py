"""`trader download`: a venue's candles into a folder `trader backtest --data` reads (BT-1).

    python -m trader download --products BTC-USD,ETH-USD --from 2024-01-01 --to 2024-01-08 \\
        [--granularity 1m|5m|15m|1h|6h|1d] [--out DIR] [--config app.yaml]

The venue is the daemon's (`exchange.venue`): Coinbase's public market endpoints (no key
needed), or the embedded simulated venue. Writes the plain OHLCV CSV set
(`trader.recorded.ohlcv_csv`), resumably (`trader.recorded.download`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import structlog

from trader.backtest.progress import Progress
from trader.commands.backtest import config_path, parse_time
from trader.commands.common import refuse
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from trader.commands.out_folder import out_folder_problem
from trader.config.issues import ConfigError
from trader.config.loader import LoadedConfig, load_config
from trader.core.clock import wall_clock
from trader.exchange.errors import ExchangeError
from trader.exchange.interface import Venue
from trader.recorded.download import Downloader, Outcome, Request, check_kept, own_files
from trader.recorded.ohlcv_csv import GRANULARITIES

PRODUCT_ID = re.compile(r"^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$")


@dataclass(frozen=True, slots=True)
class Plan:
    products: list[str]
    granularity: str
    start: int
    end: int
    out: Path


def read_plan(args: argparse.Namespace) -> Plan:
    """The request the arguments make; ValueError naming the first bad one."""
    products = [p.strip().upper() for p in args.products.split(",") if p.strip()]
    bad = [p for p in products if not PRODUCT_ID.match(p)]
    if not products or bad:
        raise ValueError(f"--products: not product ids like BTC-USD: {args.products!r}")
    if args.granularity not in GRANULARITIES:
        raise ValueError(f"--granularity {args.granularity!r}: one of {', '.join(GRANULARITIES)}")
    start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
    if end <= start:
        raise ValueError(f"--to must be after --from ({args.end} <= {args.start})")
    out = args.out or Path("data") / "download"
    return Plan(list(dict.fromkeys(products)), args.granularity, start, end, out)


def download_command(args: argparse.Namespace) -> int:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    try:
        plan = read_plan(args)
        loaded = load_config(config_path(args.config))
        if loaded.app.exchange.venue not in ("sim", "coinbase"):
            raise ValueError(f"exchange.venue {loaded.app.exchange.venue!r}: no venue to ask")
    except (ValueError, ConfigError) as exc:
        refuse("download", exc)
        return EXIT_CONFIG
    made = not plan.out.exists()
    problem = out_folder_problem(plan.out, own_files(plan.products, plan.granularity))
    if problem is not None:
        refuse("download", f"--out {plan.out}: {problem}")
        return EXIT_CONFIG
    try:
        check_kept(plan.out, plan.products, plan.granularity)
        outcomes = asyncio.run(_download(loaded, plan))
    except (ExchangeError, OSError, ValueError) as exc:
        refuse("download", _one_line(exc))
        if made and plan.out.is_dir() and not any(plan.out.iterdir()):
            plan.out.rmdir()  # nothing fetched: no empty folder left behind
        return EXIT_FAILURE
    for outcome in outcomes:
        state = "up to date" if outcome.skipped else f"{outcome.fetched} candles fetched"
        print(f"{outcome.product_id:<14} {state:<24} {outcome.path}")
    return EXIT_OK


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


async def _download(loaded: LoadedConfig, plan: Plan) -> list[Outcome]:
    async with _VenueSession(loaded) as venue:
        bar_s = GRANULARITIES[plan.granularity]
        now = (await venue.server_time()).epoch
        end = min(plan.end, int(now) // bar_s * bar_s)  # closed bars only
        for product_id in plan.products:
            await venue.product(product_id)  # an unknown product fails before any file
        total = len(plan.products) * max(end - plan.start, 0) // bar_s
        progress = Progress(total, label="download")
        done = 0

        def advance(bars: int) -> None:
            nonlocal done
            done += bars
            progress.update(done)

        downloader = Downloader(venue, plan.out, advance)
        outcomes = []
        for product_id in plan.products:
            request = Request(product_id, plan.granularity, bar_s, plan.start, end)
            outcomes.append(await downloader.fetch(request))
        progress.finish()
        return outcomes


class _VenueSession:
    """The daemon's venue for one command: the embedded simulator started for it when
    `exchange.venue` is sim, else Coinbase without a key (public endpoints only)."""

    def __init__(self, loaded: LoadedConfig) -> None:
        self.loaded = loaded
        self.stack = AsyncExitStack()

    async def __aenter__(self) -> Venue:
        from trader.daemon.trading.venue_link import exchange_config, venue_credentials
        from trader.daemon.venue import embedded_venue
        from trader.exchange.factory import CLOCK_INTERVAL_S, open_venue
        from trader.ops.metrics import Metrics

        sim = None
        if self.loaded.app.exchange.venue == "sim":
            sim = await self.stack.enter_async_context(embedded_venue(self.loaded, wall_clock))
        exchange = open_venue(
            exchange_config(self.loaded, sim),
            venue_credentials(sim, None),
            Metrics(),
            clock_interval_s=CLOCK_INTERVAL_S,
        )
        self.stack.push_async_callback(exchange.close)
        return exchange

    async def __aexit__(self, *exc: object) -> None:
        await self.stack.aclose()
