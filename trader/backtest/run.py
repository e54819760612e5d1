"""One backtest run (BT-1), as the command and a parameter search's workers run it: the
stack at the start, the runner over the window, then `report.json` and `equity.html`
written to the output folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from trader.backtest.data import Dataset
from trader.backtest.picture import TradeMark, equity_html
from trader.backtest.progress import Progress
from trader.backtest.report import RunInfo, build_report, report_json
from trader.backtest.runner import Runner, StepLog
from trader.backtest.session import open_session
from trader.backtest.stats import EquityPoint, Summary, summary_rows
from trader.backtest.tables import figure_rows
from trader.config.loader import LoadedConfig
from trader.state.report_rows import read_fills, read_intents


@dataclass(frozen=True, slots=True)
class Done:
    report: dict[str, Any]
    summary: Summary
    points: list[EquityPoint]
    log: StepLog
    elapsed: float  # seconds the runner took


async def run_backtest(
    loaded: LoadedConfig,
    dataset: Dataset,
    start: int,
    end: int,
    warmup: int,
    out: Path,
    progress: Callable[[int], Progress] | None = None,
) -> Done:
    """Backtest [start, end) after `warmup` seconds of warm-up bars into `out`; `progress`
    makes the bar shown for a run over so many bars (none: nothing shown)."""
    out.mkdir(parents=True, exist_ok=True)
    session = await open_session(loaded, dataset, out / "backtest.db", start - warmup)
    try:
        runner = Runner(session, start, end, warmup)
        began = time.perf_counter()
        if progress is None:
            log = await runner.run()
        else:
            shown = progress(runner.total_bars())
            log = await runner.run(shown.update)
            shown.finish()
        elapsed = time.perf_counter() - began
        fills = await session.db.run(read_fills)
        intents = await session.db.run(read_intents)
    finally:
        await session.close()
    info = RunInfo(
        data=dataset.name,
        fingerprint=dataset.fingerprint,
        config_hash=loaded.config_hash,
        start=start,
        end=end,
        warmup_s=warmup,
        bar_seconds=dataset.bar_seconds,
        products=tuple(sorted(dataset.series)),
        listed_at=dict(sorted(dataset.listed_at.items())),
        quote_currency=loaded.universe.quote_currency,
    )
    closes = dataset.closes(start, end)
    report, summary, points = build_report(info, log, fills, intents, loaded.universe, closes)
    (out / "report.json").write_bytes(report_json(report))
    page = _picture(report, summary, points, dataset, loaded, start)
    (out / "equity.html").write_text(page, "utf-8")
    return Done(report, summary, points, log, elapsed)


def day_stamp(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%dT%H%M")


def _picture(
    report: dict[str, Any],
    summary: Summary,
    points: list[EquityPoint],
    dataset: Dataset,
    loaded: LoadedConfig,
    start: int,
) -> str:
    """The page: summary and figures, equity against the benchmark with the trades."""
    currency = loaded.universe.quote_currency
    times = [t for t, _ in report["equity_hourly"]]
    first = points[0].equity if points else Decimal(0)
    basket = [(t, first * growth) for t, growth in dataset.basket(start, times)]
    marks = [
        mark
        for trip in report["trades"]
        for mark in (
            TradeMark(int(trip["opened_at"]), "entry"),
            TradeMark(int(trip["closed_at"]), "win" if Decimal(trip["pnl"]) > 0 else "loss"),
        )
    ]
    subtitle = f"{dataset.name} · {len(dataset.series)} products · config {loaded.config_hash[:12]}"
    return equity_html(
        points,
        f"Backtest {day_stamp(start)} – {day_stamp(report['run']['end'])}",
        subtitle=subtitle,
        benchmark=basket,
        marks=marks,
        summary=summary_rows(summary, currency) + figure_rows(report, currency),
    )
