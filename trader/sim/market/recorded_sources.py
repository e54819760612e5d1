"""Build `BarReplay` sources from the recorded data sets (SIM-1).

Start selection (documented): a replay starts at the first bar T that is at least a day
after every chosen product's first bar and has at least 95 % of a day of bars in
[T − 24 h, T) for every product (missing minutes mean no trades in these sets), so the bars
before T are a ≥ 24 h history. Only each product's last run of consecutive day files is
used. Coinbase minute set, all four products: T = 2018-04-05 23:30 UTC (the 2018-04-04
trade files stop at ~16:50); ETH-USD's data ends at 2018-04-06 00:00, the others run to the
end of 2018-04-06. The quote bars (closing bid/ask and sizes of each minute) centre the
synthetic book of that minute where they exist. Binance set: T = 2020-12-02 00:00 UTC; its
5-minute history bars are split into 1-minute candles (`bars.split_bar`).
Rules: the real 2026 rules from the capture's `/market/products` when the price fits their
grid, else generated (`rules.py`); the quote increment is refined so every close is on it.
Daily history (real data only, never invented; see `daily.py`): Coinbase minute set — the
product's earlier day files (outside the replayed run) aggregated into days, replaced by the
official LEAN daily bars `daily/<symbol>_trade.zip` where one exists (BTC-USD: 2014-12-01
onwards, so 2014-12-01 .. 2018-04-03 before the replay's history; ETH-USD gets 2017-09-03/04;
LTC-USD and BTC-EUR have nothing earlier). Binance set — 5-minute bars aggregated into days
before the history window; the set starts 2020-12-01, one day before T, so it has none.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from trader.core.types import Candle, ProductRules
from trader.recorded import (
    binance_files,
    minute_files,
    read_capture_products,
    read_klines,
    read_quote_bars,
    read_trade_bars,
)
from trader.recorded.coinbase_minute import day_start, read_daily_bars
from trader.sim.market.bars import TopOfBook, split_bar
from trader.sim.market.daily import aggregate_days
from trader.sim.market.replay import BarReplay
from trader.sim.market.rules import pick_rules

DAY = 86400
HISTORY_COVERAGE = 0.95
MINUTE_PRIORITY = ("BTC-USD", "ETH-USD", "LTC-USD", "BTC-EUR")
BINANCE_PRIORITY = ("BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "XRP-USD", "DOT-USD")
CAPTURE_FILE = Path("coinbase-ws-capture-2026") / "advanced-trade-btc-eth.jsonl.gz"


def replay_problem(kind: str, data_dir: Path) -> str | None:
    """Why `data_dir` cannot feed a replay of `kind`, or None: what each kind reads —
    `coinbase-minute`: `coinbase-minute-2018/minute/*/` trade zips; `binance-5m`:
    `binance-5m-24pairs-2021/*-5m.json.gz`; `ws-capture`: the capture file."""
    if kind not in ("coinbase-minute", "binance-5m", "ws-capture"):
        return None
    if not data_dir.is_dir():
        return f"{data_dir} is not a directory"
    try:
        found, needed = _replay_files(kind, data_dir)
    except OSError:
        found, needed = False, "readable recorded data"
    return None if found else f"{data_dir} holds no {needed} (needed by market {kind})"


def _replay_files(kind: str, data_dir: Path) -> tuple[bool, str]:
    if kind == "coinbase-minute":
        found = bool(minute_files(data_dir / "coinbase-minute-2018", "trade"))
        needed = "coinbase-minute-2018/minute/<product>/<day>_trade.zip files"
    elif kind == "binance-5m":
        found = bool(binance_files(data_dir / "binance-5m-24pairs-2021"))
        needed = "binance-5m-24pairs-2021/<PAIR>_USDT-5m.json.gz files"
    else:
        found, needed = (data_dir / CAPTURE_FILE).is_file(), str(CAPTURE_FILE)
    return found, needed


def recorded_rules(data_dir: Path) -> dict[str, ProductRules]:
    """Real 2026 product rules from the capture's `/market/products`, when present."""
    path = data_dir / CAPTURE_FILE
    if not path.is_file():
        return {}
    return {r.product_id: r for r in read_capture_products(path)}


def _ordered(available: list[str], priority: tuple[str, ...], count: int) -> list[str]:
    first = [p for p in priority if p in available]
    return (first + sorted(p for p in available if p not in first))[:count]


def _last_run(files: list[Path]) -> list[Path]:
    """The last run of consecutive daily files."""
    run = [files[-1]]
    for path in reversed(files[:-1]):
        if day_start(run[0]) - day_start(path) != DAY:
            break
        run.insert(0, path)
    return run


def choose_start(bars: dict[str, list[Candle]], bar_seconds: int) -> int:
    """The first bar start at least a day after every product's first bar with ≥ 95 % of
    a day of bars before it in every product."""
    needed = HISTORY_COVERAGE * DAY / bar_seconds
    starts = {pid: [c.start for c in candles] for pid, candles in bars.items() if candles}
    if len(starts) != len(bars):
        raise ValueError(f"no bars at all in {sorted(set(bars) - set(starts))}")
    earliest = max(series[0] for series in starts.values()) + DAY
    for candidate in sorted({s for series in starts.values() for s in series}):
        if candidate >= earliest and all(
            bisect_left(s, candidate) - bisect_left(s, candidate - DAY) >= needed
            for s in starts.values()
        ):
            return candidate
    raise ValueError(f"no start with 24 h of history in products {sorted(bars)}")


def coinbase_minute_source(
    data_dir: Path, *, start: float, speed: float, products: int
) -> BarReplay:
    root = data_dir / "coinbase-minute-2018"
    trade_files, quote_files = minute_files(root, "trade"), minute_files(root, "quote")
    chosen = _ordered(list(trade_files), MINUTE_PRIORITY, products)
    bars = {
        pid: [c for f in _last_run(trade_files[pid]) for c in read_trade_bars(f, pid)]
        for pid in chosen
    }
    tops: dict[str, dict[int, TopOfBook]] = {}
    days = {day_start(f) for pid in chosen for f in _last_run(trade_files[pid])}
    for pid in chosen:
        for path in quote_files.get(pid, []):
            if day_start(path) in days:
                for q in read_quote_bars(path, pid):
                    top = TopOfBook(q.bid, q.bid_size, q.ask, q.ask_size)
                    tops.setdefault(pid, {})[q.start] = top
    replay_from = choose_start(bars, 60)
    known = recorded_rules(data_dir)
    rules = {pid: fit_rules(pid, bars[pid], known) for pid in chosen}
    return BarReplay(
        bars,
        rules,
        bar_seconds=60,
        replay_from=replay_from,
        start=start,
        speed=speed,
        history=bars,
        tops=tops,
        daily={pid: _earlier_days(root, pid, trade_files[pid]) for pid in chosen},
    )


def _earlier_days(root: Path, product_id: str, files: list[Path]) -> list[Candle]:
    """Real daily bars of `product_id` outside its replayed run of day files: the other day
    files aggregated, replaced day by day by the official daily file where one exists.
    (`BarReplay` keeps only the days before its history.)"""
    run = set(_last_run(files))
    days = {
        c.start: c
        for path in files
        if path not in run
        for c in aggregate_days(read_trade_bars(path, product_id))
    }
    official = root / "daily" / f"{product_id.replace('-', '').lower()}_trade.zip"
    if official.is_file():
        days.update((c.start, c) for c in read_daily_bars(official, product_id))
    return [days[start] for start in sorted(days)]


def binance_source(data_dir: Path, *, start: float, speed: float, products: int) -> BarReplay:
    files = binance_files(data_dir / "binance-5m-24pairs-2021")
    chosen = _ordered(list(files), BINANCE_PRIORITY, products)
    bars = {pid: read_klines(files[pid], pid) for pid in chosen}
    replay_from = choose_start(bars, 300)
    known = recorded_rules(data_dir)
    rules = {pid: fit_rules(pid, bars[pid], known) for pid in chosen}
    history_from = replay_from - DAY - 3600
    history = {
        pid: [
            minute
            for bar in bars[pid]
            if history_from <= bar.start < replay_from
            for minute in split_bar(bar, 5, rules[pid].base_increment)
        ]
        for pid in chosen
    }
    daily = {pid: aggregate_days(b for b in bars[pid] if b.start < history_from) for pid in chosen}
    return BarReplay(
        bars,
        rules,
        bar_seconds=300,
        replay_from=replay_from,
        start=start,
        speed=speed,
        history=history,
        daily=daily,
    )


def fit_rules(
    product_id: str, candles: list[Candle], known: dict[str, ProductRules]
) -> ProductRules:
    """Rules for a replayed product whose quote grid holds every recorded close."""
    rules = pick_rules(product_id, min(c.low for c in candles), known)
    finest = min(_exponent(c.close) for c in candles)
    grid = Decimal(1).scaleb(finest)
    return replace(rules, quote_increment=grid) if grid < rules.quote_increment else rules


def _exponent(price: Decimal) -> int:
    """Decimal places as written (a trailing zero may make the grid finer, never coarser)."""
    exponent = price.as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError(f"price {price} is not finite")
    return min(exponent, 0)
