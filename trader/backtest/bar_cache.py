"""Bars of a recorded file kept ready to read (PERF-4): parsing a kline file costs seconds,
reading its bars back from here a few milliseconds.

An entry is named by the SHA-256 of the recorded file's bytes (the digest the data set's
fingerprint is built from), so it can never stand for other data: an edited file is a new
name. It holds what parsing produced — the bar starts, the bars' recorded texts as one
string with each row's end offset (read back without cutting it into rows: a run cuts out
only the rows it reaches, `bars.RowTexts`), and the lowest low and close decimals — behind
a header with the row count and a CRC-32 of the payload. An entry that is missing,
truncated, corrupt or of another layout is a miss: the file is parsed again and the entry
rewritten. Only bars that passed the load checks (`BarSeries.validate`) are kept, so an
entry read back is not checked again. Entries are written to a temporary name and renamed,
so parallel search workers never read half an entry. A cache folder that cannot be written
costs only the speed; the run reads the recorded file as before.
"""

from __future__ import annotations

import contextlib
import os
import sys
import zlib
from array import array
from decimal import Decimal
from pathlib import Path
from typing import Final

import orjson
import structlog

from trader.backtest.bars import BarSeries, RowTexts
from trader.recorded.errors import RecordedDataError

MAGIC: Final = b"trader-bars 4\n"  # 4: open times ASCII digits; 3: bars checked at load
log = structlog.get_logger("trader.backtest")


def cache_folder(data_dir: Path) -> Path:
    """The cache folder under the daemon's data directory (`paths.data_dir`)."""
    return data_dir / "cache"


def entry_path(folder: Path, digest: str) -> Path:
    return folder / "bars" / f"{digest}.bars"


def read_entry(folder: Path, digest: str, product_id: str, source: str) -> BarSeries | None:
    """The cached bars of the file with this digest, or None (a miss)."""
    try:
        blob = entry_path(folder, digest).read_bytes()
    except OSError:
        return None
    return _decoded(blob, product_id, source)


def _decoded(blob: bytes, product_id: str, source: str) -> BarSeries | None:
    if not blob.startswith(MAGIC):
        return None
    header_end = blob.find(b"\n", len(MAGIC))
    try:
        header = orjson.loads(blob[len(MAGIC) : header_end])
        rows, crc, byteorder = int(header["rows"]), int(header["crc"]), str(header["byteorder"])
        low, places = str(header["low"]), int(header["places"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    payload = memoryview(blob)[header_end + 1 :]
    if header_end < 0 or byteorder != sys.byteorder or zlib.crc32(payload) != crc:
        return None
    starts, ends = array("q"), array("q")
    starts.frombytes(payload[: 8 * rows])
    ends.frombytes(payload[8 * rows : 16 * rows])
    try:
        texts = RowTexts(bytes(payload[16 * rows :]).decode("ascii"), ends)
    except UnicodeDecodeError:
        return None
    if len(starts) != rows or len(ends) != rows or not texts.well_formed():
        return None
    series = BarSeries(product_id, source, starts, texts)
    series.known_summary(Decimal(low), places)
    return series


def write_entry(folder: Path, digest: str, series: BarSeries) -> None:
    """Keep the parsed bars (with their price summary); a folder that cannot be written is
    logged and skipped."""
    try:
        low, places = series.lowest_low(), series.close_places()
    except RecordedDataError:
        return  # the set is refused when its rules are made; nothing worth keeping
    texts = series.row_texts()
    payload = series.starts.tobytes() + texts.ends().tobytes() + texts.joined().encode("ascii")
    header = {
        "rows": len(series),
        "crc": zlib.crc32(payload),
        "byteorder": sys.byteorder,
        "low": str(low),
        "places": places,
    }
    target = entry_path(folder, digest)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(MAGIC + orjson.dumps(header) + b"\n" + payload)
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        log.warning("bar_cache_unwritable", folder=str(folder), error=str(exc))
