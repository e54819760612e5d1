"""The text of a 5-minute kline file (`*_USDT-5m.json.gz`, a JSON array of
`[open_time_ms, open, high, low, close, volume]` rows) as bars: split straight from the
text when it is plainly such an array, else read as JSON and every row checked."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from trader.backtest.bars import BarSeries
from trader.recorded.errors import RecordedDataError

KLINE_SECONDS = 300
_JSON_SPACE = b" \t\r\n"
_PLAIN_CHARACTERS = b"0123456789+-.eE,[]"


def plain_kline_rows(data: bytes) -> tuple[list[int], list[str]] | None:
    """(starts, texts) of a file that is plainly an array of six-number rows with whole-ms
    times, split straight from its text (the numbers' own digits, exact); None for anything
    else, which `kline_series_checked` reads and names. orjson proves it is JSON; the
    character set and the counts of brackets and commas prove each row is six numbers."""
    compact = data.translate(None, _JSON_SPACE)
    if compact.translate(None, _PLAIN_CHARACTERS) or not compact.startswith(b"["):
        return None
    try:
        parsed_rows = len(orjson.loads(compact))
    except orjson.JSONDecodeError:
        return None
    if compact == b"[]":
        return [], []
    inner = compact[2:-2].decode("ascii")
    rows = inner.split("],[")
    brackets = len(rows) - 1
    if len(rows) != parsed_rows or inner.count("[") != brackets or inner.count("]") != brackets:
        return None
    starts, texts = [], []
    for row in rows:
        millis, _, numbers = row.partition(",")
        if not millis.isdigit() or numbers.count(",") != 4:
            return None
        seconds, fraction = divmod(int(millis), 1000)
        if fraction:
            return None
        starts.append(seconds)
        texts.append(numbers)
    return starts, texts


def kline_series_checked(pid: str, path: Path, data: bytes) -> BarSeries:
    """Every row checked as JSON values, the first malformed one named."""
    try:  # numbers kept as their text: exact, and no Decimal per value until used
        rows = json.loads(data, parse_float=str, parse_int=str)
    except RecursionError as exc:
        raise RecordedDataError(path, 1, "not a JSON array of rows: nested too deeply") from exc
    except ValueError as exc:
        raise RecordedDataError(path, 1, f"not a gzip JSON array: {exc}") from exc
    if not isinstance(rows, list):
        raise RecordedDataError(path, 1, "top level is not a JSON array")
    starts: list[int] = []
    texts: list[str] = []
    for index, row in enumerate(rows, start=1):
        try:  # a non-list row, a missing or non-number field: TypeError/ValueError/KeyError
            if len(row) != 6:
                raise ValueError("not 6 fields")
            millis = _millis(row[0])
            texts.append(",".join(row[1:]))
        except (TypeError, ValueError, KeyError) as exc:
            raise RecordedDataError(path, index, f"row is not 6 numbers: {row!r}") from exc
        if millis < 0 or millis % 1000:
            raise RecordedDataError(path, index, f"open time is not whole ms: {row[0]!r}")
        starts.append(millis // 1000)
    series = BarSeries.from_texts(pid, str(path), starts, texts)
    series.validate(KLINE_SECONDS)
    return series


def _millis(text: object) -> int:
    """An open time: ASCII digits only (`int` would also take other scripts' digits, `_`,
    a sign and spaces around)."""
    if not (isinstance(text, str) and text.isascii() and text.isdigit()):
        raise ValueError("open time is not plain digits")
    return int(text)
