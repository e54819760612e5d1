"""PERF-4: parsed kline bars kept for the next run read back exactly as parsing gives them;
an entry that is damaged in any way is a miss, never data; no cache folder costs nothing
but speed."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.backtest.recorded_sets import AAA_ROWS, klines, write_klines
from trader.backtest import bar_cache, data
from trader.backtest.data import Dataset, load_dataset

__all__ = ["klines"]  # the kline set fixture


def _facts(dataset: Dataset) -> object:
    bars = {
        pid: (list(s.starts), s.texts(), s.lowest_low(), s.close_places())
        for pid, s in dataset.series.items()
    }
    return bars, dataset.rules, dataset.listed_at, dataset.fingerprint, dataset.bar_seconds


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "bars").glob("*.bars"))


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The products whose kline file is parsed from its text from now on."""
    parsed: list[str] = []
    parse = data._kline_series

    def counted(pid: str, *args: object, **kwargs: object) -> object:
        parsed.append(pid)
        return parse(pid, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "_kline_series", counted)
    return parsed


def test_perf4_a_kept_entry_reads_back_as_the_parse_gave_it(klines, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    fresh = load_dataset(klines)
    first = load_dataset(klines, cache=cache)
    assert len(_entries(cache)) == 2
    parsed = _parses(monkeypatch)
    again = load_dataset(klines, cache=cache)
    assert parsed == []  # both files came from their entries
    assert _facts(again) == _facts(first) == _facts(fresh)
    assert again.series["AAA-USD"].candle(1) == fresh.series["AAA-USD"].candle(1)


def _truncated(blob: bytes) -> bytes:
    return blob[: len(blob) - 3]


def _flipped(blob: bytes) -> bytes:
    at = len(blob) - 5
    return blob[:at] + bytes([blob[at] ^ 0x01]) + blob[at + 1 :]


def _other_layout(blob: bytes) -> bytes:
    return blob.replace(bar_cache.MAGIC, b"trader-bars 0\n", 1)


def _bad_header(blob: bytes) -> bytes:
    return bar_cache.MAGIC + b'{"rows": "many"}\n' + blob.split(b"\n", 2)[2]


def _first_layout(blob: bytes) -> bytes:
    """The same bars as the first layout wrote them (no row ends: the text split at
    reading), under that layout's name."""
    header_end = blob.find(b"\n", len(bar_cache.MAGIC))
    header = orjson.loads(blob[len(bar_cache.MAGIC) : header_end])
    rows = header["rows"]
    payload = blob[header_end + 1 :]
    old = payload[: 8 * rows] + payload[16 * rows :]
    header["crc"] = zlib.crc32(old)
    return b"trader-bars 1\n" + orjson.dumps(header) + b"\n" + old


def _rewritten(blob: bytes, change: Callable[[bytes, int], bytes]) -> bytes:
    """The entry with its payload changed by `change(payload, rows)` and its CRC made
    right again: damage only the layout's own checks can find."""
    header_end = blob.find(b"\n", len(bar_cache.MAGIC))
    header = orjson.loads(blob[len(bar_cache.MAGIC) : header_end])
    payload = change(blob[header_end + 1 :], header["rows"])
    header["crc"] = zlib.crc32(payload)
    return bar_cache.MAGIC + orjson.dumps(header) + b"\n" + payload


def _ends_off_the_text(blob: bytes) -> bytes:
    return _rewritten(blob, lambda payload, _rows: payload + b"x")


def _ends_out_of_order(blob: bytes) -> bytes:
    def swap_first_two_ends(payload: bytes, rows: int) -> bytes:
        first, second = payload[8 * rows : 8 * rows + 8], payload[8 * rows + 8 : 8 * rows + 16]
        return payload[: 8 * rows] + second + first + payload[8 * rows + 16 :]

    return _rewritten(blob, swap_first_two_ends)


def _text_not_ascii(blob: bytes) -> bytes:
    return _rewritten(blob, lambda payload, _rows: payload[:-1] + b"\xff")


def _other_byteorder(blob: bytes) -> bytes:
    little, big = b'"byteorder":"little"', b'"byteorder":"big"'
    return blob.replace(little, big) if little in blob else blob.replace(big, little)


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda _blob: b"",
    "truncated": _truncated,
    "one bit flipped": _flipped,
    "another layout": _other_layout,
    "the first layout": _first_layout,
    # written before open times had to be ASCII digits: what it holds was never so checked
    "the third layout": lambda blob: blob.replace(bar_cache.MAGIC, b"trader-bars 3\n", 1),
    "row ends off the text": _ends_off_the_text,
    "row ends out of order": _ends_out_of_order,
    "a text that is not ASCII": _text_not_ascii,
    "a header that is no header": _bad_header,
    "no header line": lambda _blob: bar_cache.MAGIC + b"{",
    "the other byte order": _other_byteorder,
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_perf4_a_damaged_entry_is_a_miss_and_is_written_again(klines, tmp_path, damage):
    cache = tmp_path / "cache"
    fresh = load_dataset(klines, cache=cache)
    for entry in _entries(cache):
        entry.write_bytes(damage(entry.read_bytes()))
    assert _facts(load_dataset(klines, cache=cache)) == _facts(fresh)
    assert _facts(load_dataset(klines, cache=cache)) == _facts(fresh)  # rewritten: readable


def test_perf4_an_edited_file_is_read_again_not_from_its_old_entry(klines, tmp_path):
    cache = tmp_path / "cache"
    load_dataset(klines, cache=cache)
    write_klines(klines, "AAA", AAA_ROWS[:2])
    edited = load_dataset(klines, cache=cache)
    assert edited.series["AAA-USD"].texts() == load_dataset(klines).series["AAA-USD"].texts()
    assert len(edited.series["AAA-USD"]) == 2
    assert len(_entries(cache)) == 3


def test_perf4_a_cache_folder_that_cannot_be_written_costs_only_speed(klines, tmp_path):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the folder would go\n")
    assert _facts(load_dataset(klines, cache=blocked)) == _facts(load_dataset(klines))
    assert blocked.read_text() == "a file where the folder would go\n"


def test_perf4_files_the_checked_read_takes_are_not_kept(tmp_path):
    """Only files proven plain are kept: the checked read's texts carry no such proof."""
    folder = tmp_path / "klines"
    write_klines(folder, "AAA", [[*row[:5], "7"] for row in AAA_ROWS])  # a quoted volume
    cache = tmp_path / "cache"
    load_dataset(folder, cache=cache)
    assert _entries(cache) == []
