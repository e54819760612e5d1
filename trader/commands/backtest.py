"""`trader backtest`: the live pipeline over recorded candles (BT-1).

    python -m trader backtest --data ../shared/data/binance-5m-24pairs-2021 \\
        --from 2021-03-01 --to 2021-04-01 [--config app.yaml] [--out DIR]

Writes `report.json` (byte-identical for identical inputs), `equity.html` (equity and
drawdown) and `backtest.db` (the run's own state file: every proposal, verdict, intent,
order and fill, queryable like the daemon's) into `--out`, and prints a summary table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

import structlog

from trader.backtest import bar_cache
from trader.backtest.data import Dataset, load_dataset
from trader.backtest.data_files import DataError
from trader.backtest.progress import Progress
from trader.backtest.report import strategy_table
from trader.backtest.run import run_backtest
from trader.backtest.session import refuse_finer_timeframes
from trader.backtest.stats import summary_table
from trader.backtest.tables import tables_text
from trader.commands.common import refuse
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from trader.commands.out_folder import out_folder_problem
from trader.commands.search import search_command
from trader.config.issues import ConfigError
from trader.config.loader import LoadedConfig, load_config
from trader.recorded.errors import RecordedDataError
from trader.strategies.base import StrategyBuildError, StrategyError
from trader.universe.plugin import FilterError

HOUR_S = 3600
LAST_EPOCH_S = 253_402_300_799  # 9999-12-31T23:59:59Z, the last time a date can name
OUTPUTS = ("report.json", "equity.html", "backtest.db")  # what a run writes into --out
RUN_GC_YOUNG = 10_000  # allocations between young collections during a run (below)


def parse_time(text: str, name: str) -> int:
    """Epoch seconds (ASCII digits, up to the end of year 9999 like a date), or an ISO
    date/date-time read as UTC."""
    problem = f"{name}: not a date, date-time or epoch seconds: {text!r}"
    if text.isascii() and text.isdigit():
        if len(text) > len(str(LAST_EPOCH_S)) or int(text) > LAST_EPOCH_S:
            raise ValueError(f"{problem} (after the year 9999)")
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(problem) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def config_path(given: Path | None) -> Path:
    """`--config`, else app.yaml in the working directory, else app.yaml.example."""
    if given is not None:
        return given
    return Path("app.yaml") if Path("app.yaml").is_file() else Path("app.yaml.example")


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%dT%H%M")


def backtest_command(args: argparse.Namespace) -> int:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    try:
        start, end = parse_time(args.start, "--from"), parse_time(args.end, "--to")
        listed_by = (
            None
            if args.listed_before is None
            else parse_time(args.listed_before, "--listed-before")
        )
        if end <= start:
            raise ValueError(f"--to must be after --from ({args.end} <= {args.start})")
        if args.workers < 0:
            raise ValueError(f"--workers must be 0 (one per core) or more, not {args.workers}")
        if args.search is not None:
            args.config_file = config_path(args.config)
            return search_command(args, start, end, listed_by)
        loaded = load_config(config_path(args.config))
        products = [p.strip() for p in args.products.split(",") if p.strip()] or None
        dataset = load_dataset(args.data, products, bar_cache.cache_folder(loaded.data_dir))
        refuse_finer_timeframes(loaded, dataset.bar_seconds)
        if listed_by is not None:  # the sets carry no listing dates; the operator knows them
            dataset.listed_at = {p: min(t, float(listed_by)) for p, t in dataset.listed_at.items()}
    except (ValueError, ConfigError, DataError, RecordedDataError) as exc:
        refuse("backtest", exc)
        return EXIT_CONFIG
    first, last = dataset.span()
    warmed = first + int(args.warmup_hours * HOUR_S)  # the first bars only warm up
    end = min(end, last)
    start = max(start, warmed if warmed < end else first)
    if end <= start:
        print(f"backtest: no data between --from and --to (data spans {_day(first)}..{_day(last)})",
              file=sys.stderr)  # fmt: skip
        return EXIT_CONFIG
    out = args.out or Path("data") / "backtests" / f"{dataset.name}-{_day(start)}-{_day(end)}"
    problem = out_folder_problem(out, OUTPUTS)
    if problem is not None:
        refuse("backtest", f"--out {out}: {problem}")
        return EXIT_CONFIG
    # the loaded set lives until the process ends: the collector need not walk it again at
    # every full collection during the run (millions of bar texts)
    gc.freeze()
    # a run allocates and frees objects at every step; almost all are freed by their
    # reference counts, so young collections find little: one per RUN_GC_YOUNG allocations
    # instead of 700 (the 2-month peer run: 367 young and 3 full collections, 0.26-0.39 s
    # timed with gc.callbacks on a loaded machine, against 21 young and none, 0.12-0.14 s)
    gc.set_threshold(RUN_GC_YOUNG, *gc.get_threshold()[1:])
    try:
        return asyncio.run(_run(loaded, dataset, start, end, args, out))
    except (FilterError, StrategyBuildError) as exc:  # built at load, failing now
        refuse("backtest", exc)
        return EXIT_CONFIG
    except (RecordedDataError, StrategyError) as exc:
        refuse("backtest", exc)
        return EXIT_FAILURE


async def _run(
    loaded: LoadedConfig,
    dataset: Dataset,
    start: int,
    end: int,
    args: argparse.Namespace,
    out: Path,
) -> int:
    warmup = int(args.warmup_hours * HOUR_S)
    done = await run_backtest(loaded, dataset, start, end, warmup, out, Progress)
    currency = loaded.universe.quote_currency
    print(summary_table(done.summary, quote_currency=currency))
    print(strategy_table(done.report["by_strategy"], currency))
    print(tables_text(done.report, currency))
    log = done.log
    rate = log.bars / done.elapsed if done.elapsed > 0 else 0.0
    print(
        f"\n{log.bars:,} bars, {log.steps:,} decision steps in {done.elapsed:.1f} s "
        f"({rate:,.0f} bars/s)"
    )
    print(f"report: {out / 'report.json'}\npicture: {out / 'equity.html'}")
    return EXIT_OK
