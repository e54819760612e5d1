"""Reader for freqtrade-format Binance klines (`binance-5m-24pairs-2021/*_USDT-5m.json.gz`).

Each file is a gzip JSON array of `[open_time_ms, open, high, low, close, volume]`. JSON numbers
are parsed straight to Decimal (`parse_float=Decimal`), never through float. `XXX_USDT` is
mapped to the Coinbase product `XXX-USD`.
"""

from __future__ import annotations

import gzip
import json
import re
from decimal import Decimal
from pathlib import Path

from trader.core.types import Candle
from trader.recorded.errors import RecordedDataError, ohlcv_problem, parse_decimal

_NAME = re.compile(r"^(?P<base>[A-Z0-9]+)_USDT-(?P<tf>\d+m)\.json\.gz$")
BAR_SECONDS = 300


def product_id_for_file(path: Path) -> str:
    """`BTC_USDT-5m.json.gz` → `BTC-USD`."""
    match = _NAME.match(path.name)
    if match is None:
        raise RecordedDataError(path, 0, "file name is not <BASE>_USDT-<n>m.json.gz")
    return f"{match['base']}-USD"


def binance_files(folder: Path) -> dict[str, Path]:
    """`{product_id: file}` for every 5-minute kline file in `folder`, sorted by product."""
    return {product_id_for_file(p): p for p in sorted(folder.glob("*_USDT-5m.json.gz"))}


def _load(path: Path) -> list[object]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            rows = json.load(handle, parse_float=Decimal, parse_int=Decimal)
    except (OSError, EOFError, json.JSONDecodeError) as exc:
        raise RecordedDataError(path, 1, f"not a gzip JSON array: {exc}") from exc
    if not isinstance(rows, list):
        raise RecordedDataError(path, 1, "top level is not a JSON array")
    return rows


def read_klines(path: Path, product_id: str | None = None) -> list[Candle]:
    """5-minute candles, oldest first. `line` in errors is the row's 1-based index."""
    pid = product_id or product_id_for_file(path)
    candles: list[Candle] = []
    previous = -1
    for index, row in enumerate(_load(path), start=1):
        if not isinstance(row, list) or len(row) != 6:
            raise RecordedDataError(path, index, f"row is not a 6-element array: {row!r}")
        millis, o, h, lo, c, v = row
        if not all(type(x) is Decimal for x in (o, h, lo, c, v)):
            o, h, lo, c, v = (
                parse_decimal(x, path, index, name)
                for x, name in zip(row[1:], ("open", "high", "low", "close", "volume"), strict=True)
            )
        if not isinstance(millis, Decimal) or millis % 1000:
            raise RecordedDataError(path, index, f"open time is not whole ms: {millis!r}")
        problem = ohlcv_problem(o, h, lo, c, v)
        if problem is not None:
            raise RecordedDataError(path, index, problem)
        start = int(millis) // 1000
        if start <= previous:
            raise RecordedDataError(path, index, "rows are not in increasing time order")
        previous = start
        candles.append(Candle(pid, start, o, h, lo, c, v))
    return candles
