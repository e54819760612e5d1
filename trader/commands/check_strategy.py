"""`trader check-strategy NAME`: does the strategy read the future? (STR-6)

    python -m trader check-strategy trend_1h --data ../shared/data/binance-5m-24pairs-2021 \\
        [--from T] [--to T] [--products A,B] [--cuts K] [--config app.yaml]

Replays the recorded bars through the decision core with only NAME enabled, then again on
the data cut at K points and once more from a later start (`trader/backtest/lookahead.py`).
Prints a summary line and `no look-ahead found` (exit 0), or one line per finding (exit 1):
the time, the product, and the decision with and without the later data. Bad input (a
name not in the registry, a bad date, a data folder it cannot read, a timeframe finer than
the data) is one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from dataclasses import dataclass

import structlog

from trader.backtest import bar_cache
from trader.backtest.data import Dataset, load_dataset
from trader.backtest.lookahead import DEFAULT_CUTS, check_strategy, check_window, declared_warmup
from trader.backtest.replay import single_strategy
from trader.backtest.session import refuse_finer_timeframes
from trader.commands.backtest import config_path, parse_time
from trader.commands.common import load_or_report, refuse
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from trader.config.loader import LoadedConfig
from trader.recorded.errors import RecordedDataError
from trader.strategies.base import StrategyBuildError, StrategyError
from trader.universe.plugin import FilterError


@dataclass(frozen=True)
class Plan:
    dataset: Dataset
    start: int
    end: int
    cuts: int


def check_strategy_command(args: argparse.Namespace) -> int:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    try:
        start = None if args.start is None else parse_time(args.start, "--from")
        end = None if args.end is None else parse_time(args.end, "--to")
        if start is not None and end is not None and end <= start:
            raise ValueError(f"--to must be after --from ({args.end} <= {args.start})")
        cuts = DEFAULT_CUTS if args.cuts is None else args.cuts
        if cuts < 1:
            raise ValueError(f"--cuts must be at least 1 (got {cuts})")
    except ValueError as exc:
        return _usage_error(exc)
    loaded = load_or_report(config_path(args.config))
    if loaded is None:
        return EXIT_CONFIG
    try:
        plan = _plan(loaded, args, start, end, cuts)
    except ValueError as exc:  # DataError and RecordedDataError are ValueErrors
        return _usage_error(exc)
    began = time.perf_counter()
    try:
        report = check_strategy(loaded, args.name, plan.dataset, plan.start, plan.end, plan.cuts)
    except (FilterError, StrategyBuildError) as exc:  # built at load, failing now
        refuse("check-strategy", exc)
        return EXIT_CONFIG
    except (RecordedDataError, StrategyError) as exc:
        refuse("check-strategy", exc)
        return EXIT_FAILURE
    print("\n".join(report.lines()))
    print(f"({time.perf_counter() - began:.1f} s)")
    return EXIT_FAILURE if report.findings else EXIT_OK


def _plan(
    loaded: LoadedConfig, args: argparse.Namespace, start: int | None, end: int | None, cuts: int
) -> Plan:
    """The data and the window, or ValueError saying what is wrong with the input."""
    name = args.name
    registry = loaded.strategies.registry
    if name not in registry or name not in loaded.plugins:
        known = ", ".join(sorted(registry))
        raise ValueError(f"no strategy {name!r} in strategies.yaml (registry: {known})")
    products = [p.strip() for p in args.products.split(",") if p.strip()] or None
    dataset = load_dataset(args.data, products, bar_cache.cache_folder(loaded.data_dir))
    only = dataclasses.replace(loaded, strategies=single_strategy(loaded.strategies, name))
    refuse_finer_timeframes(only, dataset.bar_seconds)
    warmup = declared_warmup(loaded.plugins[name].cls)
    first, last = check_window(dataset, warmup, start, end)
    return Plan(dataset, first, last, cuts)


def _usage_error(exc: Exception) -> int:
    refuse("check-strategy", exc)
    return EXIT_CONFIG
