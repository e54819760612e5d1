"""`trader backtest --search FILE` (BT-5): a walk-forward parameter search over recorded
data — candidates from the search file, each backtested once in a worker, ranked by their
out-of-sample result only, in-sample beside it. Resumable: the same command again after
Ctrl-C runs only what had not finished."""

from __future__ import annotations

import argparse
import hashlib
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from trader.backtest import bar_cache
from trader.backtest.data import Dataset, load_dataset
from trader.backtest.data_files import DataError
from trader.backtest.search import (
    ParamValue,
    SearchFileError,
    SearchSpec,
    Window,
    candidate_id,
    candidates,
    load_spec,
    rank,
    walk_windows,
)
from trader.backtest.search_run import Task, executor_for, run_all
from trader.backtest.session import refuse_finer_timeframes
from trader.backtest.tables import benchmark
from trader.commands.common import refuse
from trader.commands.exit_codes import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK
from trader.commands.out_folder import out_folder_problem
from trader.config.issues import ConfigError
from trader.config.loader import LoadedConfig, load_config
from trader.recorded.errors import RecordedDataError

EXIT_INTERRUPTED = 130
HOUR_S = 3600


def _candidate(search: Path, config_file: Path, params: dict[str, ParamValue]) -> LoadedConfig:
    """The configuration with one candidate's values; a value it refuses is blamed on the
    search file (the configuration's own files are fine without it)."""
    try:
        return load_config(config_file, params)
    except ConfigError as exc:
        issues = "; ".join(str(issue) for issue in exc.issues)
        raise SearchFileError(f"{search}: candidate {params} is refused: {issues}") from exc


def search_command(args: argparse.Namespace, start: int, end: int, listed_by: int | None) -> int:
    """Called by `backtest_command` once --from/--to parsed."""
    try:
        spec = load_spec(args.search)
        config_file = args.config_file
        base = load_config(config_file)
        products = [p.strip() for p in args.products.split(",") if p.strip()] or None
        dataset = load_dataset(args.data, products, bar_cache.cache_folder(base.data_dir))
        refuse_finer_timeframes(base, dataset.bar_seconds)
        params = candidates(spec)
        for one in params:  # every candidate must be a valid configuration before any runs
            refuse_finer_timeframes(_candidate(args.search, config_file, one), dataset.bar_seconds)
    except (ValueError, ConfigError, DataError, RecordedDataError, SearchFileError) as exc:
        refuse("backtest", exc)
        return EXIT_CONFIG
    first, last = dataset.span()
    warmup = int(args.warmup_hours * HOUR_S)
    start, end = max(start, first + warmup), min(end, last)
    windows = walk_windows(start, end, spec.windows)
    if not windows:
        print(
            f"backtest: --search: no train+test window ({spec.windows.train_days} + "
            f"{spec.windows.test_days} days) fits between --from and --to",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    context = _context(base, dataset, start, end, warmup, listed_by)
    out = args.out or Path("data") / "backtests" / f"search-{dataset.name}-{context[:8]}"
    problem = out_folder_problem(out, ("search.json",))
    if problem is not None:
        refuse("backtest", f"--out {out}: {problem}")
        return EXIT_CONFIG
    tasks = [
        Task(
            candidate_id(one, context), one, str(config_file), str(args.data),
            tuple(products or ()), listed_by, start, end, warmup,
            str(out / "candidates" / candidate_id(one, context)),
        )
        for one in params
    ]  # fmt: skip
    try:
        with executor_for(args.executor, args.workers) as (executor, in_flight):
            results, complete = run_all(tasks, executor, in_flight, _progress)
    except (ValueError, OSError) as exc:
        refuse("backtest", f"--search: {exc}")
        return EXIT_FAILURE
    if not complete:
        print(
            f"\nsearch: stopped with {len(results)} of {len(tasks)} candidates done (kept in "
            f"{out}); the same command again resumes",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    ranking = rank(results, windows, spec.rank_by)
    ranking["benchmark_pct"] = _buy_and_hold(dataset, windows)
    out.mkdir(parents=True, exist_ok=True)
    (out / "search.json").write_bytes(
        orjson.dumps(ranking, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
    )
    print(search_text(ranking, spec))
    print(f"search: {out / 'search.json'}")
    return EXIT_OK


def _context(
    loaded: LoadedConfig, dataset: Dataset, start: int, end: int, warmup: int, listed: int | None
) -> str:
    """What every candidate of this search shares: data, window, base configuration."""
    blob = orjson.dumps(
        [dataset.fingerprint, sorted(dataset.series), start, end, warmup, listed,
         loaded.config_hash]
    )  # fmt: skip
    return hashlib.sha256(blob).hexdigest()


def _progress(done: int, total: int) -> None:
    print(f"search: {done}/{total} candidates done", file=sys.stderr, flush=True)


def _buy_and_hold(dataset: Dataset, windows: list[Window]) -> Decimal | None:
    """Equal-weight buy-and-hold over the out-of-sample span (first test to last)."""
    closes = dataset.closes(windows[0].test[0], windows[-1].test[1])
    found: Decimal | None = benchmark(closes)["equal_weight_buy_and_hold_pct"]
    return found


def _pct(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def search_text(ranking: dict[str, Any], spec: SearchSpec) -> str:
    """Candidates best out-of-sample first, in-sample beside; then the walk-forward."""
    measure = "mean train return %" if spec.rank_by == "return_pct" else "mean train Sharpe"
    lines = [
        f"{'rank':>4}  {'candidate':<12}  {measure:>19}  {'out-of-sample %':>15}  "
        f"{'halted':<10}  params"
    ]
    for number, row in enumerate(ranking["candidates"], start=1):
        params = ", ".join(f"{k.split('.', 1)[1]}={v}" for k, v in sorted(row["params"].items()))
        halted = "-" if row["halted_at"] is None else _day(int(row["halted_at"]))
        lines.append(
            f"{number:>4}  {row['id']:<12}  {_pct(row['in_sample']):>19}  "
            f"{_pct(row['out_of_sample_pct']):>15}  {halted:<10}  {params}"
        )
    lines.append("")
    lines.append("Walk-forward: the best on each train window, booked on the next test window")
    for step in ranking["walk_forward"]:
        halted = "  (halted: trades nothing)" if step["halted"] else ""
        lines.append(
            f"  test from {_day(step['test'][0])}: {step['chosen'] or '-':<12} "
            f"train {_pct(step['train_score'])}  test {_pct(step['test_pct'])} %{halted}"
        )
    lines.append(
        f"Walk-forward out-of-sample: {_pct(ranking['walk_forward_pct'])} % after fees, "
        f"{_pct(ranking['walk_forward_before_fees_pct'])} % before; equal-weight "
        f"buy-and-hold over the same span: {_pct(ranking['benchmark_pct'])} %; cash: 0.00 %"
    )
    return "\n".join(lines)


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")
