"""Recorded data sets for backtests (BT-1): which format a folder holds, and its bars.

Four formats, told apart by what the folder (or file) holds:
- the 5-minute kline set (`*_USDT-5m.json.gz`, freqtrade-style JSON arrays): `XXX_USDT` is
  traded as `XXX-USD`;
- the Coinbase minute set (`minute/<pair>/YYYYMMDD_trade.zip` headerless CSVs, with the
  quote bars `*_quote.zip` giving each minute's recorded bid/ask);
- candles the daemon itself recorded (its SQLite state file, table `candles`, with the
  bid/ask it saw when each candle closed);
- the plain OHLCV CSV set (`<PRODUCT>-<granularity>.csv`, `trader.recorded.ohlcv_csv`;
  what `trader download` writes), one granularity per folder.

Product rules are the real ones from the capture's `/market/products` beside the set when
its prices fit their grid, else generated for the price (the simulated venue's rules,
`trader.sim.market`). A product's listing time is its first bar in the set (or the first
official daily bar): the data is all the backtest knows about it. The fingerprint is a
SHA-256 over every file read, so a report names exactly the data it came from.
"""

from __future__ import annotations

import bisect
import gc
import gzip
import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import orjson

from trader.backtest import bar_cache
from trader.backtest.bars import BarSeries
from trader.backtest.data_files import DataError, data_path_kind, read_data_file
from trader.backtest.kline_text import KLINE_SECONDS, kline_series_checked, plain_kline_rows
from trader.core.gaps import GapRule, missing_in_series
from trader.core.types import ProductRules
from trader.recorded import binance_files, minute_files, read_quote_bars
from trader.recorded.coinbase_minute import TRADE_FIELDS, csv_rows, day_start, read_daily_bars
from trader.recorded.errors import RecordedDataError
from trader.recorded.ohlcv_csv import csv_files, read_csv_rows
from trader.sim.market.bars import TopOfBook
from trader.sim.market.recorded_sources import recorded_rules
from trader.sim.market.rules import pick_rules
from trader.state.candle_history import recorded_candles
from trader.state.candle_log import LISTED_KEY, RULES_KEY, rules_from_json
from trader.state.identity import reading_uri
from trader.state.meta import read_values


@dataclass(slots=True)
class Dataset:
    name: str
    bar_seconds: int
    series: dict[str, BarSeries]
    rules: dict[str, ProductRules]
    listed_at: dict[str, float]
    fingerprint: str
    tops: dict[str, dict[int, TopOfBook]] = field(default_factory=dict)

    def span(self) -> tuple[int, int]:
        """First bar start and last bar end over all products."""
        firsts = [s.starts[0] for s in self.series.values() if len(s)]
        lasts = [s.starts[-1] for s in self.series.values() if len(s)]
        return min(firsts), max(lasts) + self.bar_seconds

    def restart_after_missing(self, rule: GapRule, restart: Callable[[str, int], None]) -> int:
        """Every hole the daemon's rule takes as missing data (`trader.core.gaps`): the
        product's windows start again after it (`restart(product, at)`), as live; how many."""
        holes = 0
        for pid, bars in sorted(self.series.items()):
            for _lo, at in missing_in_series(rule, self.bar_seconds, bars.starts):
                restart(pid, at)
                holes += 1
        return holes

    def closes(self, start: int, end: int) -> dict[str, tuple[Decimal, Decimal]]:
        """Each product's first and last close among its bars starting in [start, end)."""
        out: dict[str, tuple[Decimal, Decimal]] = {}
        for pid, bars in sorted(self.series.items()):
            low, high = bisect.bisect_left(bars.starts, start), bisect.bisect_left(bars.starts, end)
            if high > low:
                out[pid] = (bars.close(low), bars.close(high - 1))
        return out

    def basket(self, start: int, times: Sequence[int]) -> list[tuple[int, Decimal]]:
        """The equal-weight buy-and-hold benchmark at each of `times` (ascending): the mean
        over the products with bars of last close at or before t over first close from
        `start` on, a growth factor (1 at the start). Products join from their first bar."""
        firsts: dict[str, tuple[int, Decimal]] = {}
        for pid, bars in sorted(self.series.items()):
            row = bisect.bisect_left(bars.starts, start)
            if row < len(bars):
                firsts[pid] = (row, bars.close(row))
        out: list[tuple[int, Decimal]] = []
        for t in times:
            factors = []
            for pid, (first_row, first_close) in firsts.items():
                bars = self.series[pid]
                row = bisect.bisect_right(bars.starts, t - self.bar_seconds) - 1
                if row >= first_row and first_close > 0:
                    factors.append(bars.close(row) / first_close)
            if factors:
                out.append((t, sum(factors, Decimal(0)) / len(factors)))
        return out

    def before(self, end: int) -> Dataset:
        """The same set without the bars (and recorded touches) from `end` on."""
        return replace(
            self,
            series={pid: bars.before(end) for pid, bars in self.series.items()},
            tops={
                pid: {t: top for t, top in tops.items() if t < end}
                for pid, tops in self.tops.items()
            },
        )


def load_dataset(
    path: Path, products: list[str] | None = None, cache: Path | None = None
) -> Dataset:
    """The set at `path` (restricted to `products` when given); `cache`: a folder where
    the kline files' parsed bars are kept for the next run (`bar_cache`)."""
    with _collector_paused():
        return _load(path, products, cache)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a set loads: parsing builds and drops
    hundreds of thousands of lists (rows) and keeps their texts, none in a reference
    cycle, and each collection they set off walks everything loaded so far (the 24-pair
    set: 2.2 s -> 1.9 s). Back on afterwards, unless it was off before."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _load(path: Path, products: list[str] | None, cache: Path | None) -> Dataset:
    if data_path_kind(path) == "file":
        return _daemon_candles(path, products)
    if binance_files(path):
        return _klines(path, products, cache)
    if (path / "minute").is_dir():
        return _coinbase_minute(path, products)
    for name in ("trader.db", "trader-paper.db"):
        if (path / name).is_file():
            return _daemon_candles(path / name, products)
    if csv_files(path):
        return _ohlcv_csv(path, products)
    children = sorted(p.name for p in path.iterdir() if p.is_dir())
    raise DataError(
        f"{path}: not a recorded set (expected *_USDT-5m.json.gz files, a minute/ folder of "
        f"Coinbase zips, a daemon state file trader.db, or <PRODUCT>-<granularity>.csv "
        f"files); sub-folders: {', '.join(children)}"
    )


def _pick(available: list[str], products: list[str] | None, path: Path) -> list[str]:
    if not available:
        raise DataError(f"{path}: holds no product's bars")
    if not products:
        return sorted(available)
    missing = sorted(set(products) - set(available))
    if missing:
        raise DataError(f"{path}: no data for {', '.join(missing)} (have {', '.join(available)})")
    return sorted(products)


class _Fingerprint:
    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, path: Path, data: bytes) -> str:
        """Fold the file in; returns the SHA-256 of its bytes (hex)."""
        digest = hashlib.sha256(data).digest()
        self._hash.update(path.name.encode() + b"\0" + digest)
        return digest.hex()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _rules(root: Path, series: dict[str, BarSeries]) -> dict[str, ProductRules]:
    known = recorded_rules(root.parent) or recorded_rules(root)
    out = {}
    for pid, bars in series.items():
        lowest = bars.lowest_low()
        if lowest <= 0:
            raise DataError(f"{bars.path}: {pid} has a non-positive low ({lowest})")
        rules = pick_rules(pid, lowest, known)
        grid = Decimal(1).scaleb(-bars.close_places())
        out[pid] = replace(rules, quote_increment=grid) if grid < rules.quote_increment else rules
    return out


# -- the 5-minute kline set ----------------------------------------------------------------
def _klines(path: Path, products: list[str] | None, cache: Path | None) -> Dataset:
    files = binance_files(path)
    chosen = _pick(list(files), products, path)
    print_ = _Fingerprint()
    series = {}
    for pid in chosen:
        raw = read_data_file(files[pid])
        digest = print_.add(files[pid], raw)
        kept = None if cache is None else bar_cache.read_entry(cache, digest, pid, str(files[pid]))
        if kept is None:  # a kept entry passed `validate` before it was written
            kept = _kline_series(pid, files[pid], raw, None if cache is None else (cache, digest))
        series[pid] = kept
    return Dataset(
        "klines-5m",
        KLINE_SECONDS,
        series,
        _rules(path, series),
        {pid: float(s.starts[0]) for pid, s in series.items() if len(s)},
        print_.hexdigest(),
    )


def _kline_series(
    pid: str, path: Path, raw: bytes, keep: tuple[Path, str] | None = None
) -> BarSeries:
    """`keep`: (cache folder, the file's digest) where a plainly parsed file is kept."""
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, ValueError) as exc:
        raise RecordedDataError(path, 1, f"not a gzip JSON array: {exc}") from exc
    plain = plain_kline_rows(data)
    if plain is None:
        return kline_series_checked(pid, path, data)
    series = BarSeries.from_texts(pid, str(path), *plain)
    series.validate(KLINE_SECONDS)
    if keep is not None:
        bar_cache.write_entry(*keep, series)
    return series


# -- the Coinbase minute set ----------------------------------------------------------------
def _coinbase_minute(path: Path, products: list[str] | None) -> Dataset:
    trade_files, quote_files = minute_files(path, "trade"), minute_files(path, "quote")
    chosen = _pick(list(trade_files), products, path)
    print_ = _Fingerprint()
    series, tops, listed = {}, {}, {}
    for pid in chosen:
        series[pid] = _minute_series(pid, trade_files[pid], print_)
        tops[pid] = _tops(pid, quote_files.get(pid, []), print_)
        first = series[pid].first_start()
        official = path / "daily" / f"{pid.replace('-', '').lower()}_trade.zip"
        if official.is_file():
            days = read_daily_bars(official, pid)
            print_.add(official, read_data_file(official))
            first = min([d.start for d in days[:1]] + ([first] if first is not None else []))
        if first is not None:
            listed[pid] = float(first)
    return Dataset(
        "coinbase-minute", 60, series, _rules(path, series), listed, print_.hexdigest(), tops
    )


def _minute_series(pid: str, files: list[Path], print_: _Fingerprint) -> BarSeries:
    starts: list[int] = []
    values: list[list[str]] = []
    sources: list[tuple[int, str]] = []
    for path in files:
        print_.add(path, read_data_file(path))
        sources.append((len(starts), str(path)))
        midnight = day_start(path)
        for line, fields in csv_rows(path, TRADE_FIELDS):
            if not fields[0].isdigit() or int(fields[0]) % 60000 or int(fields[0]) >= 86_400_000:
                raise RecordedDataError(
                    path, line, f"time is not a minute of the day: {fields[0]!r}"
                )
            starts.append(midnight + int(fields[0]) // 1000)
            values.append(fields[1:])
    series = BarSeries.from_rows(pid, str(files[0].parent), starts, values, sources)
    series.validate(60)
    return series


def _tops(pid: str, files: list[Path], print_: _Fingerprint) -> dict[int, TopOfBook]:
    out: dict[int, TopOfBook] = {}
    for path in files:
        print_.add(path, read_data_file(path))
        for q in read_quote_bars(path, pid):
            out[q.start] = TopOfBook(q.bid, q.bid_size, q.ask, q.ask_size)
    return out


# -- the plain OHLCV CSV set ----------------------------------------------------------------
def _ohlcv_csv(path: Path, products: list[str] | None) -> Dataset:
    files = csv_files(path)
    bar_lengths = {seconds for _, _, seconds in files}
    if len(bar_lengths) > 1 or len({pid for pid, _, _ in files}) < len(files):
        names = ", ".join(file.name for _, file, _ in files)
        raise DataError(f"{path}: CSV files of more than one granularity ({names})")
    by_product = {pid: file for pid, file, _ in files}
    print_ = _Fingerprint()
    series = {}
    for pid in _pick(list(by_product), products, path):
        raw = read_data_file(by_product[pid])
        print_.add(by_product[pid], raw)
        starts, texts = read_csv_rows(by_product[pid], raw)
        name = str(by_product[pid])  # row numbers are the file's lines (after the header)
        series[pid] = BarSeries.from_texts(pid, name, starts, texts, [(-1, name)])
        series[pid].validate(files[0][2])
    return Dataset(
        f"ohlcv-csv-{files[0][2]}s",
        files[0][2],
        series,
        _rules(path, series),
        {pid: float(s.starts[0]) for pid, s in series.items() if len(s)},
        print_.hexdigest(),
    )


# -- candles the daemon recorded --------------------------------------------------------------
def _daemon_candles(path: Path, products: list[str] | None) -> Dataset:
    try:
        conn = sqlite3.connect(reading_uri(path, "ro"), uri=True)
    except sqlite3.Error as exc:
        raise DataError(f"{path}: cannot open: {exc}") from exc
    try:
        rows = recorded_candles(conn)
        saved_rules, saved_listing = _recorded_products(conn, path)
    except sqlite3.Error as exc:
        raise DataError(f"{path}: no recorded candles ({exc})") from exc
    finally:
        conn.close()
    by_product: dict[str, list[tuple[object, ...]]] = {}
    for row in rows:
        by_product.setdefault(str(row[0]), []).append(row)
    chosen = _pick(list(by_product), products, path)
    print_ = _Fingerprint()
    print_.add(path, repr(rows).encode())
    series, tops = {}, {}
    for pid in chosen:
        got = by_product[pid]
        starts = [int(str(r[1])) for r in got]
        series[pid] = BarSeries.from_rows(
            pid, str(path), starts, [[str(x) for x in r[2:7]] for r in got]
        )
        series[pid].validate(60)
        tops[pid] = {  # seen as the candle closed: the book of the next minute
            int(str(r[1])) + 60: TopOfBook(*(Decimal(str(x)) for x in r[7:11]))
            for r in got
            if None not in r[7:11]
        }
    listed = {pid: saved_listing.get(pid, float(s.starts[0])) for pid, s in series.items()}
    rules = saved_rules or _rules(path.parent, series)
    missing = sorted(set(series) - set(rules))
    if missing:
        raise DataError(f"{path}: no product rules recorded for {', '.join(missing)}")
    rules = {pid: rules[pid] for pid in series}
    return Dataset("daemon-candles", 60, series, rules, listed, print_.hexdigest(), tops)


def _recorded_products(
    conn: sqlite3.Connection, path: Path
) -> tuple[dict[str, ProductRules], dict[str, float]]:
    """The product rules and listing times the daemon recorded at its start."""
    meta = read_values(conn, (RULES_KEY, LISTED_KEY))
    key = RULES_KEY
    try:
        rules = rules_from_json(str(meta[RULES_KEY])) if RULES_KEY in meta else {}
        key = LISTED_KEY
        listed = orjson.loads(str(meta[LISTED_KEY])) if LISTED_KEY in meta else {}
        return rules, {str(k): float(v) for k, v in dict(listed).items()}
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        raise DataError(f"{path}: meta {key!r} is not what the daemon records: {exc}") from exc
