"""Reader for the LEAN/CryptoTick Coinbase bars (`coinbase-minute-2018/`): minute (and
second) bars, and the daily bars beside them.

Each `minute/<symbol>/YYYYMMDD_<trade|quote>.zip` holds one headerless CSV:
trade rows `ms_since_midnight_utc,open,high,low,close,volume`, quote rows
`ms,bidO,bidH,bidL,bidC,bidSize,askO,askH,askL,askC,askSize`. Missing minutes mean no trades.
Each `daily/<symbol>_trade.zip` holds one headerless CSV of
`YYYYMMDD 00:00,open,high,low,close,volume` rows. Every file is read by `csv_rows`.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from trader.core.types import Candle
from trader.recorded.errors import RecordedDataError, ohlcv_problem, parse_decimal

TRADE_FIELDS = 6
QUOTE_FIELDS = 11
DAY = 86400
OHLCV = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class QuoteBar:
    """Best bid/ask over one minute (close values and the last sizes)."""

    product_id: str
    start: int
    bid: Decimal
    bid_size: Decimal
    ask: Decimal
    ask_size: Decimal


def product_id_for_symbol(symbol: str) -> str:
    """`btcusd` → `BTC-USD` (the folder names are 3+3 letter pairs)."""
    if len(symbol) != 6 or not symbol.isalpha():
        raise ValueError(f"not a 6-letter pair symbol: {symbol!r}")
    return f"{symbol[:3].upper()}-{symbol[3:].upper()}"


def day_start(path: Path) -> int:
    """UTC epoch of midnight of the day named by `YYYYMMDD_*.zip`."""
    stamp = path.name.split("_", 1)[0]
    try:
        day = datetime.strptime(stamp, "%Y%m%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise RecordedDataError(
            path, 0, f"file name does not start with YYYYMMDD: {stamp!r}"
        ) from exc
    return int(day.timestamp())


def csv_rows(path: Path, width: int) -> Iterator[tuple[int, list[str]]]:
    """The rows of the one CSV inside a zip, split into `width` fields. A byte that is not
    ASCII, or a damaged archive (a bad CRC, a broken deflate stream, a cut-off member), is
    a `RecordedDataError` naming the file and the row reached."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise RecordedDataError(path, 0, f"cannot open zip: {exc}") from exc
    with archive:
        names = [n for n in archive.namelist() if n.endswith(".csv")]
        if len(names) != 1:
            raise RecordedDataError(path, 0, f"expected one CSV inside, found {names}")
        number = 0
        try:
            with archive.open(names[0]) as raw:
                for number, line in enumerate(raw, start=1):
                    fields = _fields(path, number, line, width)
                    if fields is not None:
                        yield number, fields
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise RecordedDataError(path, number + 1, f"damaged zip: {exc}") from exc


def _fields(path: Path, number: int, line: bytes, width: int) -> list[str] | None:
    """The row's fields, or None for a blank line."""
    try:
        text = line.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise RecordedDataError(path, number, f"byte {line[exc.start]:#x} is not ASCII") from exc
    if not text:
        return None
    fields = text.split(",")
    if len(fields) != width:
        raise RecordedDataError(path, number, f"expected {width} fields, got {len(fields)}")
    return fields


def _start(path: Path, line: int, text: str, midnight: int, bar_seconds: int) -> int:
    if not text.isdigit():
        raise RecordedDataError(path, line, f"time is not milliseconds: {text!r}")
    millis = int(text)
    if millis % (bar_seconds * 1000) or millis >= 86_400_000:
        raise RecordedDataError(
            path, line, f"time {millis} is not a {bar_seconds}-s bar of the day"
        )
    return midnight + millis // 1000


def read_trade_bars(path: Path, product_id: str, bar_seconds: int = 60) -> list[Candle]:
    """Closed trade bars of one day file, oldest first (`bar_seconds=1` for `second/`)."""
    midnight = day_start(path)
    candles: list[Candle] = []
    for line, fields in csv_rows(path, TRADE_FIELDS):
        start = _start(path, line, fields[0], midnight, bar_seconds)
        o, h, lo, c, v = (
            parse_decimal(f, path, line, name) for f, name in zip(fields[1:], OHLCV, strict=True)
        )
        problem = ohlcv_problem(o, h, lo, c, v)
        if problem is not None:
            raise RecordedDataError(path, line, problem)
        if candles and start <= candles[-1].start:
            raise RecordedDataError(path, line, "bars are not in increasing time order")
        candles.append(Candle(product_id, start, o, h, lo, c, v))
    return candles


def read_quote_bars(path: Path, product_id: str) -> list[QuoteBar]:
    """1-minute quote bars of one day file (closing bid/ask and sizes), oldest first."""
    midnight = day_start(path)
    bars: list[QuoteBar] = []
    for line, fields in csv_rows(path, QUOTE_FIELDS):
        start = _start(path, line, fields[0], midnight, 60)
        bid = parse_decimal(fields[4], path, line, "bid close")
        bid_size = parse_decimal(fields[5], path, line, "bid size")
        ask = parse_decimal(fields[9], path, line, "ask close")
        ask_size = parse_decimal(fields[10], path, line, "ask size")
        if bid <= 0 or ask <= 0 or bid_size < 0 or ask_size < 0:
            raise RecordedDataError(path, line, "non-positive quote price or negative size")
        bars.append(QuoteBar(product_id, start, bid, bid_size, ask, ask_size))
    return bars


def read_daily_bars(path: Path, product_id: str) -> list[Candle]:
    """A LEAN daily trade file (`daily/<symbol>_trade.zip`), oldest first."""
    candles: list[Candle] = []
    for line, fields in csv_rows(path, TRADE_FIELDS):
        candle = _daily_row(path, line, fields, product_id)
        if candles and candle.start <= candles[-1].start:
            raise RecordedDataError(path, line, "days are not in increasing time order")
        candles.append(candle)
    return candles


def _daily_row(path: Path, line: int, fields: list[str], product_id: str) -> Candle:
    try:
        when = datetime.strptime(fields[0], "%Y%m%d %H:%M").replace(tzinfo=UTC)
    except ValueError as exc:
        raise RecordedDataError(path, line, f"time is not 'YYYYMMDD HH:MM': {fields[0]!r}") from exc
    start = int(when.timestamp())
    if start % DAY:
        raise RecordedDataError(path, line, f"daily bar does not start at midnight: {fields[0]}")
    o, h, lo, c, v = (
        parse_decimal(f, path, line, name) for f, name in zip(fields[1:], OHLCV, strict=True)
    )
    problem = ohlcv_problem(o, h, lo, c, v)
    if problem is not None:
        raise RecordedDataError(path, line, problem)
    return Candle(product_id, start, o, h, lo, c, v)


def minute_files(root: Path, kind: str) -> dict[str, list[Path]]:
    """`{product_id: [day zips, oldest first]}` under `root/minute/*/` for `kind` trade|quote."""
    found: dict[str, list[Path]] = {}
    for folder in sorted((root / "minute").iterdir()):
        if folder.is_dir():
            files = sorted(folder.glob(f"*_{kind}.zip"))
            if files:
                found[product_id_for_symbol(folder.name)] = files
    return found
