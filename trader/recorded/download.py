"""Download a venue's candles into the plain OHLCV CSV set (`ohlcv_csv`), resumably.

Each product's file is built as `.<name>.part`, one request window (349 bars) at a time:
a window's rows are appended and flushed to disk before the next is asked for, so after
an interruption a rerun keeps every complete row and continues after the last one (a
torn last line is cut off). When the range is complete the part file is renamed to its
final name, and the range it covers is recorded in `.download.json` (replaced whole,
never edited in place): a rerun over a covered range asks the venue for nothing. Only
closed bars are written (those that ended by the venue's clock).
A rerun first reads each finished file it keeps (`check_kept`): a damaged one is named by
its line and left as it is.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from trader.exchange.interface import Venue
from trader.recorded.errors import RecordedDataError
from trader.recorded.ohlcv_csv import HEADER, csv_name, csv_row, read_csv_rows

BARS_PER_REQUEST = 349
MANIFEST = ".download.json"


@dataclass(frozen=True, slots=True)
class Request:
    product_id: str
    granularity: str
    bar_s: int
    start: int
    end: int  # exclusive; already cut to the last closed bar

    def windows(self, resume_at: int) -> list[tuple[int, int]]:
        step = BARS_PER_REQUEST * self.bar_s
        first = max(self.start, resume_at)
        return [(lo, min(lo + step, self.end)) for lo in range(first, self.end, step)]


@dataclass(frozen=True, slots=True)
class Outcome:
    product_id: str
    path: Path
    fetched: int  # candles written by this run
    skipped: bool  # the file already covered the range


def part_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.part")


def own_files(product_ids: list[str], granularity: str) -> list[str]:
    """The names a download of `product_ids` writes in its folder: each product's file and
    its part file, the manifest and the manifest's temporary file."""
    finals = [csv_name(pid, granularity) for pid in product_ids]
    parts = [part_path(Path(name)).name for name in finals]
    return [*finals, *parts, MANIFEST, temporary_path(Path(MANIFEST)).name]


def temporary_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def read_manifest(folder: Path) -> dict[str, list[int]]:
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    try:
        return {str(k): [int(v[0]), int(v[1])] for k, v in json.loads(path.read_text()).items()}
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else 1
        raise RecordedDataError(
            path, line, f"not a download manifest ({{file: [from, to]}}): {exc}"
        ) from exc


def write_atomically(path: Path, text: str) -> None:
    temp = temporary_path(path)
    with temp.open("w", encoding="ascii") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def resume_point(part: Path, bar_s: int) -> int:
    """The first bar start after the part file's last complete row (0: start afresh).
    A torn last line (no newline) is cut off; a file without its header is restarted."""
    if not part.is_file():
        return 0
    data = part.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    if not complete.startswith(HEADER.encode() + b"\n"):
        part.unlink()
        return 0
    if len(complete) < len(data):
        with part.open("r+b") as out:
            out.truncate(len(complete))
    last = complete.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    if last == HEADER.encode():
        return 0
    start = last.split(b",", 1)[0]
    if not start.isdigit():  # another program's bytes, or damaged: nothing to resume after
        raise RecordedDataError(
            part,
            complete.count(b"\n"),
            f"not a row this download wrote ({last[:60]!r}): remove the file to download "
            "this product afresh",
        )
    return int(start) + bar_s


def check_kept(folder: Path, product_ids: list[str], granularity: str) -> None:
    """Before anything is asked for: each finished file the manifest says covers a range
    (a rerun keeps it, or extends it) is still what this download wrote. A damaged one
    (another program's header, a row that is not a bar, rows out of time order, a last row
    cut short) is RecordedDataError naming its line; the file is left as it is."""
    covered = read_manifest(folder)
    for product_id in product_ids:
        final = folder / csv_name(product_id, granularity)
        if final.name in covered and final.is_file():
            try:
                _check_rows(final)
            except RecordedDataError as exc:
                raise RecordedDataError(
                    final,
                    exc.line,
                    f"{exc.reason}: remove the file to download {product_id} afresh",
                ) from exc


def _check_rows(final: Path) -> None:
    data = final.read_bytes()
    starts, _ = read_csv_rows(final, data)
    if not data.endswith(b"\n"):
        raise RecordedDataError(final, data.count(b"\n") + 1, "the last row is cut short")
    for number, (before, start) in enumerate(itertools.pairwise(starts), start=3):
        if start <= before:
            raise RecordedDataError(final, number, "rows are not in increasing time order")


def _append_rows(final: Path, part: Path) -> None:
    """The final file's rows (not its header) after the part file's."""
    with final.open("rb") as source, part.open("ab") as out:
        source.readline()
        shutil.copyfileobj(source, out)
        out.flush()
        os.fsync(out.fileno())


class Downloader:
    """Fills `folder` with one file per request through `venue` (its rate limits apply)."""

    def __init__(self, venue: Venue, folder: Path, on_bars: Callable[[int], None]) -> None:
        self.venue = venue
        self.folder = folder
        self.on_bars = on_bars  # called with the bars of the range each window covered

    async def fetch(self, request: Request) -> Outcome:
        """The range into its file. What the file already covers is kept, not asked for
        again: a range reaching further back fetches only the bars before it (then the
        file's rows follow), one reaching further on only those after it."""
        final = self.folder / csv_name(request.product_id, request.granularity)
        covered = read_manifest(self.folder).get(final.name) if final.is_file() else None
        part = part_path(final)
        if covered is None:
            fetched = await self._fill(request, part)
            self._finish(final, part, [request.start, request.end])
            return Outcome(request.product_id, final, fetched, False)
        low, high = covered
        if low <= request.start and high >= request.end:
            self.on_bars((request.end - request.start) // request.bar_s)
            return Outcome(request.product_id, final, 0, True)
        fetched = 0
        if request.start < low:  # the bars before the file's, then the file's rows
            fetched += await self._fill(replace(request, end=low), part)
            if resume_point(part, request.bar_s) <= low:
                _append_rows(final, part)
        elif not part.is_file():
            shutil.copyfile(final, part)
        inside = min(high, request.end) - max(low, request.start)
        self.on_bars(max(inside, 0) // request.bar_s)
        if request.end > high:
            fetched += await self._fill(replace(request, start=high), part)  # gap included
        self._finish(final, part, [min(request.start, low), max(request.end, high)])
        return Outcome(request.product_id, final, fetched, False)

    def _finish(self, final: Path, part: Path, span: list[int]) -> None:
        os.replace(part, final)
        self._record(final.name, span)

    async def _fill(self, request: Request, part: Path) -> int:
        """Append the request's bars after the part file's last row (resumably)."""
        resume_at = resume_point(part, request.bar_s)
        if resume_at == 0:
            part.write_text(HEADER + "\n", encoding="ascii")
        done = min(max(resume_at, request.start), request.end) - request.start
        self.on_bars(done // request.bar_s)
        fetched = 0
        for lo, hi in request.windows(resume_at):
            fetched += await self._append(request, part, lo, hi)
            self.on_bars((hi - lo) // request.bar_s)
        return fetched

    async def _append(self, request: Request, part: Path, lo: int, hi: int) -> int:
        candles = await self.venue.candles(request.product_id, lo, hi, request.bar_s)
        with part.open("a", encoding="ascii") as out:
            out.writelines(csv_row(c) for c in candles)
            out.flush()
            os.fsync(out.fileno())
        return len(candles)

    def _record(self, name: str, span: list[int]) -> None:
        manifest = read_manifest(self.folder)
        manifest[name] = span
        write_atomically(self.folder / MANIFEST, json.dumps(manifest, sort_keys=True) + "\n")
