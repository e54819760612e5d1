"""BT-1 recorded data sets: the three formats, their rules, listing times and fingerprints."""

from __future__ import annotations

import gc
import gzip
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backtest.recorded_sets import (
    AAA_ROWS,
    DEC_1,
    JAN_1,
    RULES,
    daemon_db,
    klines,
    minute_set,
    write_klines,
    write_zip,
)
from trader.backtest.bars import BarSeries
from trader.backtest.data import DataError, _kline_series, load_dataset
from trader.backtest.kline_text import kline_series_checked, plain_kline_rows
from trader.core.types import Candle
from trader.recorded.errors import RecordedDataError
from trader.sim.market.bars import TopOfBook

__all__ = ["klines"]  # the kline set fixture


# -- the 5-minute kline set -------------------------------------------------------------------
def test_bt1_kline_folder_loads_with_mapped_ids_exact_bars_and_listing(klines: Path):
    """BT-1: `XXX_USDT-5m.json.gz` is traded as `XXX-USD`, 300-s bars, exact values."""
    data = load_dataset(klines)
    assert data.name == "klines-5m"
    assert data.bar_seconds == 300
    assert sorted(data.series) == ["AAA-USD", "BBB-USD"]
    assert list(data.series["AAA-USD"].starts) == [DEC_1, DEC_1 + 300, DEC_1 + 600]
    assert data.series["BBB-USD"].candle(0) == Candle(
        "BBB-USD", DEC_1 + 300, D("19000.1"), D("19100"), D("18950"), D("19050.25"),
        D("8827252.0999999996"),
    )  # fmt: skip
    assert data.series["AAA-USD"].candle(2).volume == D(0)
    # a product is listed at its first bar: that is all the backtest knows of it
    assert data.listed_at == {"AAA-USD": float(DEC_1), "BBB-USD": float(DEC_1 + 300)}
    assert data.span() == (DEC_1, DEC_1 + 900)
    assert data.tops == {}


def test_bt1_kline_rules_hold_every_recorded_close(klines: Path):
    """BT-1: the quote increment is fine enough for every close (5 decimals → ≤ 0.00001)."""
    data = load_dataset(klines)
    aaa, bbb = data.rules["AAA-USD"], data.rules["BBB-USD"]
    assert (aaa.product_id, aaa.base_currency, aaa.quote_currency) == ("AAA-USD", "AAA", "USD")
    assert aaa.quote_increment <= D("0.00001")
    assert bbb.quote_increment <= D("0.01")
    for pid, rules in data.rules.items():
        bars = data.series[pid]
        for index in range(len(bars)):
            candle = bars.candle(index)
            assert candle.close % rules.quote_increment == 0, (pid, candle.close)
            assert candle.low % rules.quote_increment == 0, (pid, candle.low)


def test_bt1_kline_fingerprint_tracks_file_contents(klines: Path, tmp_path: Path):
    """BT-1: the SHA-256 fingerprint is stable for the same bytes and changes with one byte."""
    first = load_dataset(klines).fingerprint
    assert len(first) == 64 and int(first, 16) >= 0
    assert load_dataset(klines).fingerprint == first
    # the same bytes in another folder: the same data, the same fingerprint
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in klines.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    assert load_dataset(copy).fingerprint == first
    # one byte changed (a volume of 1000 becomes 1001)
    changed = [list(row) for row in AAA_ROWS]
    changed[0][5] = 1001
    write_klines(copy, "AAA", changed)
    assert load_dataset(copy).fingerprint != first
    # one raw byte of the file flipped, the content unchanged: still a different file
    raw = bytearray((klines / "BBB_USDT-5m.json.gz").read_bytes())
    raw[3] ^= 0x01  # the FLG byte's FTEXT bit: still a valid gzip file
    (klines / "BBB_USDT-5m.json.gz").write_bytes(bytes(raw))
    flipped = load_dataset(klines)
    assert flipped.fingerprint != first
    assert flipped.series["BBB-USD"].candle(1).close == D("19010")  # still readable
    # fewer products read, fewer files printed
    assert load_dataset(copy, ["BBB-USD"]).fingerprint != load_dataset(copy).fingerprint


def test_bt1_products_filter_and_missing_product(klines: Path):
    """BT-1: `products` restricts the set; a product not in it is a DataError naming it."""
    data = load_dataset(klines, ["BBB-USD"])
    assert list(data.series) == ["BBB-USD"]
    assert list(data.rules) == ["BBB-USD"]
    with pytest.raises(DataError) as caught:
        load_dataset(klines, ["XYZ-USD", "AAA-USD"])
    message = str(caught.value)
    assert "no data for XYZ-USD" in message
    assert "AAA-USD, BBB-USD" in message  # what the folder has


def test_bt1_unrecognizable_folder_lists_what_was_expected(tmp_path: Path):
    """BT-1: a folder with no recorded set is a DataError saying what was expected."""
    folder = tmp_path / "nothing"
    (folder / "notes").mkdir(parents=True)
    (folder / "BTC_USDT-1h.json.gz").write_bytes(b"")  # not the 5-minute set
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    message = str(caught.value)
    for expected in ("*_USDT-5m.json.gz", "minute/", "trader.db", "sub-folders: notes"):
        assert expected in message
    with pytest.raises(DataError, match="no such data folder"):
        load_dataset(tmp_path / "absent")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ([DEC_1 * 1000 + 300_000, 1, 2, 0.5, 1.5], "row is not 6 numbers"),  # 5 elements
        ([DEC_1 * 1000 + 300_000, 1, 2, None, 1.5, 3], "row is not 6 numbers"),  # null
        (["soon", 1, 2, 0.5, 1.5, 3], "row is not 6 numbers"),  # time is text
        ([DEC_1 * 1000 + 300_500, 1, 2, 0.5, 1.5, 3], "not whole ms"),  # half a second
    ],
)
def test_bt1_malformed_kline_row_names_file_and_row(tmp_path: Path, row: list[object], reason):
    """BT-1: a malformed kline row (row 2 here) is a RecordedDataError naming file and row."""
    path = write_klines(tmp_path / "bad", "AAA", [AAA_ROWS[0], row, AAA_ROWS[2]])
    with pytest.raises(RecordedDataError) as caught:
        load_dataset(tmp_path / "bad")
    assert (caught.value.path, caught.value.line) == (str(path), 2)
    assert reason in caught.value.reason


def test_bt1_kline_text_that_is_not_a_number_names_file_and_row(tmp_path: Path):
    """BT-1: a string that is not a number is refused when the set loads, by file and row."""
    rows = [AAA_ROWS[0], AAA_ROWS[1], [(DEC_1 + 600) * 1000, "1.3x", 1.31, 1.28, 1.3, 0]]
    path = write_klines(tmp_path / "bad", "AAA", rows)
    with pytest.raises(RecordedDataError) as caught:
        load_dataset(tmp_path / "bad")
    assert (caught.value.path, caught.value.line) == (str(path), 3)
    assert "1.3x" in caught.value.reason


def test_bt1_kline_rows_out_of_order_name_the_row(tmp_path: Path):
    """BT-1: bars must go forward in time; the first row that does not is named."""
    path = write_klines(tmp_path / "bad", "AAA", [AAA_ROWS[1], AAA_ROWS[0]])
    with pytest.raises(RecordedDataError, match=rf"{path.name}:2: rows are not in increasing"):
        load_dataset(tmp_path / "bad")


def test_bt1_kline_file_that_is_not_gzip_json(tmp_path: Path):
    """BT-1: a kline file that is not gzip JSON names the file (row 1)."""
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "AAA_USDT-5m.json.gz").write_bytes(b"[[1, 2, 3]]")
    with pytest.raises(RecordedDataError, match=r"AAA_USDT-5m\.json\.gz:1: not a gzip JSON"):
        load_dataset(folder)


def test_bt1_real_binance_set_btc_span(shared_data: Path):
    """BT-1: the shared 2021 kline set: BTC-USD from 2020-12-01T00:00Z, 65 000+ bars."""
    data = load_dataset(shared_data / "binance-5m-24pairs-2021", ["BTC-USD"])
    bars = data.series["BTC-USD"]
    assert len(bars) > 65_000
    first, last = data.span()
    assert datetime.fromtimestamp(first, UTC) == datetime(2020, 12, 1, tzinfo=UTC)
    assert last > first + 200 * 86_400
    assert data.listed_at == {"BTC-USD": float(first)}
    assert data.rules["BTC-USD"].quote_increment <= D("0.01")
    assert bars.candle(0).close % data.rules["BTC-USD"].quote_increment == 0


def test_bt1_a_set_loads_without_a_collection_and_leaves_the_collector_as_it_was(
    shared_data: Path, tmp_path: Path
):
    """PERF-4: loading builds and drops a list per row (65 000+ for one real file); the
    cyclic collector does not run meanwhile, and is on again afterwards — after a file it
    refuses too — unless it was off before."""
    collections: list[str] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(phase)

    gc.collect()
    gc.callbacks.append(count)
    try:
        load_dataset(shared_data / "binance-5m-24pairs-2021", ["BTC-USD"])
        assert collections == []
        assert gc.isenabled()
        write_klines(tmp_path / "bad", "AAA", [AAA_ROWS[1], AAA_ROWS[0]])
        with pytest.raises(RecordedDataError):
            load_dataset(tmp_path / "bad")
        assert gc.isenabled()
        gc.disable()
        try:
            load_dataset(shared_data / "binance-5m-24pairs-2021", ["ETH-USD"])
            assert not gc.isenabled()
        finally:
            gc.enable()
    finally:
        gc.callbacks.remove(count)


# -- the Coinbase minute set --------------------------------------------------------------------
def test_bt1_coinbase_minute_folder_loads_with_tops_by_minute_start(tmp_path: Path):
    """BT-1: `minute/<pair>/YYYYMMDD_trade.zip` bars, 60 s, quote closes keyed by minute start."""
    data = load_dataset(minute_set(tmp_path / "cb"))
    assert (data.name, data.bar_seconds) == ("coinbase-minute", 60)
    assert list(data.series) == ["ABC-USD"]
    bars = data.series["ABC-USD"]
    assert list(bars.starts) == [JAN_1, JAN_1 + 60, JAN_1 + 180]  # a missing minute: no trades
    assert bars.candle(0) == Candle(
        "ABC-USD", JAN_1, D("10.5"), D("10.6"), D("10.4"), D("10.55"), D("2.5")
    )
    assert bars.candle(2).volume == D("0.001")
    assert data.tops == {
        "ABC-USD": {
            JAN_1: TopOfBook(D("10.54"), D("3"), D("10.56"), D("4")),
            JAN_1 + 60: TopOfBook(D("10.64"), D("1.5"), D("10.66"), D("2.25")),
        }
    }
    assert data.listed_at == {"ABC-USD": float(JAN_1)}
    assert data.span() == (JAN_1, JAN_1 + 240)
    assert data.rules["ABC-USD"].quote_increment <= D("0.01")
    assert len(data.fingerprint) == 64


def test_bt1_coinbase_minute_official_daily_bars_set_the_listing(tmp_path: Path):
    """BT-1: with `daily/<pair>_trade.zip` the listing is its first day, and it is printed."""
    root = minute_set(tmp_path / "cb")
    without = load_dataset(root).fingerprint
    write_zip(
        root / "daily" / "abcusd_trade.zip",
        "abcusd.csv",
        ["20171230 00:00,9,11,8,10,100", "20171231 00:00,10,11,9,10.5,120"],
    )
    data = load_dataset(root)
    assert data.listed_at == {"ABC-USD": float(JAN_1 - 2 * 86_400)}
    assert data.fingerprint != without
    assert data.span()[0] == JAN_1  # the daily bars are not traded


def test_bt1_coinbase_minute_bad_time_names_the_file_and_line(tmp_path: Path):
    """BT-1: a trade row whose time is not a whole minute of the day names file and line."""
    root = minute_set(tmp_path / "cb", ["0,1,1,1,1,1", "90000,1,1,1,1,1"])
    with pytest.raises(RecordedDataError) as caught:
        load_dataset(root)
    assert caught.value.path.endswith("20180101_trade.zip")
    assert caught.value.line == 2
    assert "90000" in caught.value.reason


# -- candles the daemon recorded -------------------------------------------------------------
def test_bt1_daemon_candles_load_with_recorded_rules_and_next_minute_tops(tmp_path: Path):
    """BT-1: the daemon's state file: its recorded rules, and each bid/ask keyed start+60
    (the book seen as the candle closed is the book of the next minute)."""
    path = daemon_db(tmp_path / "trader.db")
    t0 = 1_767_225_600
    data = load_dataset(path)
    assert (data.name, data.bar_seconds) == ("daemon-candles", 60)
    assert data.rules == {"ETH-USD": RULES[0]}
    bars = data.series["ETH-USD"]
    assert list(bars.starts) == [t0, t0 + 60, t0 + 120]
    assert bars.candle(1).close == D("3001.99")
    assert data.tops == {
        "ETH-USD": {
            t0 + 60: TopOfBook(D("3000.49"), D("0.5"), D("3000.51"), D("0.75")),
            t0 + 180: TopOfBook(D("3001.98"), D("1"), D("3002.02"), D("2")),
        }
    }
    assert data.listed_at == {"ETH-USD": float(t0)}
    assert data.span() == (t0, t0 + 180)
    # the folder holding trader.db is recognized too, with the same data
    assert load_dataset(tmp_path).fingerprint == data.fingerprint
    with pytest.raises(DataError, match="no data for BTC-USD"):
        load_dataset(path, ["BTC-USD"])


def test_bt1_daemon_candles_without_recorded_rules_get_generated_ones(tmp_path: Path):
    """BT-1: no `product_rules` meta row: rules are generated for the recorded prices."""
    data = load_dataset(daemon_db(tmp_path / "trader.db", rules=None))
    rules = data.rules["ETH-USD"]
    assert rules.product_id == "ETH-USD"
    bars = data.series["ETH-USD"]
    assert all(bars.candle(i).close % rules.quote_increment == 0 for i in range(len(bars)))


def test_bt1_daemon_candles_with_rules_for_other_products_only(tmp_path: Path):
    """BT-1: recorded rules that miss a recorded product are a DataError naming it."""
    other = replace(RULES[0], product_id="SOL-USD", base_currency="SOL")
    path = daemon_db(tmp_path / "trader.db", rules=[other])
    with pytest.raises(DataError, match="no product rules recorded for ETH-USD"):
        load_dataset(path)


def test_bt1_state_file_without_candles_is_a_data_error(tmp_path: Path):
    """BT-1: a `.db` file without the candles table says so."""
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    with pytest.raises(DataError, match="no recorded candles"):
        load_dataset(path)


_PLAIN_NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**9).map(str),
    st.decimals(min_value=0, max_value=10**6, places=8, allow_nan=False).map(str),
    st.sampled_from(["1e-05", "2.5E+3", "0.0", "19000.10", "-1"]),
)
_NOT_NUMBERS = st.sampled_from(['"1.3x"', "null", '"7"', "[1]", "true"])


@given(
    rows=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2 * 10**9).map(lambda s: str(s * 1000)),
            st.lists(st.one_of(_PLAIN_NUMBERS, _NOT_NUMBERS), min_size=4, max_size=6),
        ),
        max_size=8,
    ),
    spaced=st.booleans(),
    odd_time=st.booleans(),
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_bt1_plain_kline_text_reads_as_the_checked_json_read(rows, spaced, odd_time):
    """BT-1: the fast split of a plain kline file gives exactly the bars (starts, texts) or
    the error the value-by-value JSON read gives; it leaves anything unplain to that read."""
    comma = ", " if spaced else ","
    if odd_time and rows:
        rows[0] = (rows[0][0] + "5", rows[0][1])  # not whole seconds
    data = ("[" + comma.join("[" + comma.join([t, *ns]) + "]" for t, ns in rows) + "]").encode()
    path = Path("AAA_USDT-5m.json.gz")

    def outcome(read: Callable[[], BarSeries]) -> object:
        try:
            bars = read()
        except RecordedDataError as exc:
            return str(exc)
        return list(bars.starts), bars.texts()

    fast = outcome(lambda: _kline_series("AAA-USD", path, gzip.compress(data)))
    assert fast == outcome(lambda: kline_series_checked("AAA-USD", path, data))
    plain = not (odd_time and rows) and all(
        len(ns) == 5 and all(not n.startswith(('"', "n", "[", "t")) for n in ns) for _, ns in rows
    )
    assert (plain_kline_rows(data) is not None) == plain
