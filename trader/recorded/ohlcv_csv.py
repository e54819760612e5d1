"""The plain OHLCV CSV set (BT-1): one file per product, `<PRODUCT>-<granularity>.csv`.

    start,open,high,low,close,volume
    1704067200,42283.58,42298.62,42261.02,42298.61,35.92

`start` is the bar's open in UNIX seconds (UTC); the prices and volume are decimal text,
kept exactly as written. Rows are in increasing time order; a bar with no trades is
simply absent. `<granularity>` is one of `GRANULARITIES` (`BTC-USD-1h.csv`). Written by
`trader download`, read by `trader backtest --data`. A file being written has a temporary
name (a leading dot, `.part` suffix) and is never taken as data. A file is ASCII; a UTF-8
byte-order mark before the header (spreadsheets write one) is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from trader.core.types import Candle
from trader.recorded.errors import RecordedDataError

GRANULARITIES = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400}
HEADER = "start,open,high,low,close,volume"
BOM = b"\xef\xbb\xbf"
_NAME = re.compile(r"^([A-Z0-9]+-[A-Z0-9]+)-(\d+[mhd])\.csv$")


def csv_name(product_id: str, granularity: str) -> str:
    return f"{product_id}-{granularity}.csv"


def csv_files(folder: Path) -> list[tuple[str, Path, int]]:
    """(product id, file, bar seconds) of each of the set's files in `folder`."""
    found = []
    for path in sorted(folder.glob("*.csv")):
        match = _NAME.match(path.name)
        if match and match.group(2) in GRANULARITIES:
            found.append((match.group(1), path, GRANULARITIES[match.group(2)]))
    return found


def csv_row(candle: Candle) -> str:
    """One line (with its newline) for `candle`; Decimal text, never a float."""
    c = candle
    return f"{c.start},{c.open},{c.high},{c.low},{c.close},{c.volume}\n"


def read_csv_rows(path: Path, data: bytes | None = None) -> tuple[list[int], list[str]]:
    """(bar starts, `open,high,low,close,volume` texts) of one file (`data`: its bytes when
    already read), checked line by line. A UTF-8 byte-order mark before the header (what
    spreadsheets write) is skipped; any other byte that is not ASCII is refused by row."""
    raw = path.read_bytes() if data is None else data
    raw = raw.removeprefix(BOM)
    try:
        lines = raw.decode("ascii").splitlines()
    except UnicodeDecodeError as exc:
        row = raw.count(b"\n", 0, exc.start) + 1
        raise RecordedDataError(path, row, f"byte {raw[exc.start]:#x} is not ASCII") from exc
    if not lines or lines[0].strip() != HEADER:
        raise RecordedDataError(path, 1, f"header is not {HEADER!r}")
    starts: list[int] = []
    texts: list[str] = []
    for number, line in enumerate(lines[1:], start=2):
        start, _, rest = line.strip().partition(",")
        if not start.isdigit() or rest.count(",") != 4:
            raise RecordedDataError(path, number, f"not start plus 5 numbers: {line!r}")
        starts.append(int(start))
        texts.append(rest)
    return starts, texts
