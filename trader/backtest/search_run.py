"""Running a walk-forward search (BT-5): each candidate is one backtest, run in a worker
through the standard `concurrent.futures.Executor` interface — local worker processes by
default, or a Dask cluster's executor (`--executor tcp://scheduler:8786`, the optional
`distributed` package) — and written to its own folder as it finishes, so a search stopped
with Ctrl-C resumes where it stopped: finished candidates are read back, not run again.
Results are keyed and ordered by candidate id, so they do not depend on the workers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import structlog

from trader.backtest import bar_cache
from trader.backtest.data import load_dataset
from trader.backtest.run import run_backtest
from trader.backtest.search import ParamValue

RESULT = "result.json"


@dataclass(frozen=True, slots=True)
class Task:
    """What a worker needs to run one candidate (plain data: it crosses processes)."""

    candidate: str
    params: dict[str, ParamValue]
    config_file: str
    data: str
    products: tuple[str, ...]
    listed_before: int | None
    start: int
    end: int
    warmup: int
    out: str


def run_task(task: Task) -> dict[str, Any]:
    """One candidate's backtest, in a worker; its result also written to its folder."""
    from trader.config.loader import load_config  # a worker process imports on demand

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    loaded = load_config(Path(task.config_file), task.params)
    products = list(task.products) or None
    dataset = load_dataset(Path(task.data), products, bar_cache.cache_folder(loaded.data_dir))
    if task.listed_before is not None:
        dataset.listed_at = {
            p: min(t, float(task.listed_before)) for p, t in dataset.listed_at.items()
        }
    out = Path(task.out)
    done = asyncio.run(run_backtest(loaded, dataset, task.start, task.end, task.warmup, out))
    equity = done.report["equity_hourly"]
    result = {
        "params": task.params,
        "equity": equity,
        "gross_equity": gross_equity(equity, done.report["fills"]),
        "trades": done.summary.trades,
        "halts": done.report["decisions"]["halts"],
        "return_pct": done.summary.total_return_pct,
        "fees": done.summary.fees,
        "config_hash": loaded.config_hash,
    }
    blob = orjson.dumps(result, default=_decimal, option=orjson.OPT_SORT_KEYS)
    part = out / f".{RESULT}.part"
    part.write_bytes(blob)
    part.replace(out / RESULT)  # whole or absent: a stopped search never reads half a file
    return read_result(out)


def gross_equity(
    equity: list[tuple[int, Decimal]], fills: list[dict[str, Any]]
) -> list[tuple[int, Decimal]]:
    """The equity with every fee paid by then given back (fills are in time order)."""
    out, paid, index = [], Decimal(0), 0
    for t, value in equity:
        while index < len(fills) and fills[index]["time"] <= t:
            paid += Decimal(fills[index]["fee"])
            index += 1
        out.append((t, value + paid))
    return out


def _decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def read_result(folder: Path) -> dict[str, Any]:
    raw = orjson.loads((folder / RESULT).read_bytes())
    for key in ("equity", "gross_equity"):
        raw[key] = [(int(t), Decimal(e)) for t, e in raw[key]]
    return dict(raw)


def finished(folder: Path) -> bool:
    return (folder / RESULT).is_file()


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the search, which stops handing out candidates."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def executor_for(address: str | None, workers: int) -> Iterator[tuple[Executor, int]]:
    """Local worker processes (`workers`, 0: one per core), or the executor of the Dask
    cluster at `address` (needs the optional `distributed` package); with how many
    candidates to keep in flight (one per worker thread)."""
    if address is None:
        count = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(count, initializer=_ignore_interrupts) as pool:
            yield pool, count
        return
    try:
        from distributed import Client  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ValueError(
            "--executor needs the optional `distributed` package (pip install distributed)"
        ) from None
    with Client(address, timeout="20s") as client:  # type: ignore[no-untyped-call,unused-ignore]
        threads = sum(client.nthreads().values()) or 1
        yield client.get_executor(), threads


def run_all(
    tasks: list[Task],
    executor: Executor,
    in_flight: int,
    on_done: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, dict[str, Any]], bool]:
    """Every task's result (finished ones read back), at most `in_flight` running at once;
    False when Ctrl-C stopped it early (what was running finishes and is kept; nothing more
    is started)."""
    results: dict[str, dict[str, Any]] = {}
    waiting: list[Task] = []
    for task in tasks:
        if finished(Path(task.out)):
            results[task.candidate] = read_result(Path(task.out))
        else:
            waiting.append(task)
    waiting.reverse()  # popped from the end: in the given order
    running: dict[Future[dict[str, Any]], Task] = {}
    try:
        while waiting or running:
            while waiting and len(running) < in_flight:
                task = waiting.pop()
                running[executor.submit(run_task, task)] = task
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: running[f].candidate):
                results[running.pop(future).candidate] = future.result()
                if on_done is not None:
                    on_done(len(results), len(tasks))
    except KeyboardInterrupt:
        for future, task in running.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                results[task.candidate] = future.result()
        return results, False
    return results, True
