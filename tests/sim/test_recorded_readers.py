"""SIM-1 / BT-1: the recorded-data readers on the real files, and their errors on bad input."""

from __future__ import annotations

import gzip
import itertools
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from trader.core.types import Side
from trader.recorded import (
    RecordedDataError,
    binance_files,
    minute_files,
    product_id_for_symbol,
    read_capture_products,
    read_daily_bars,
    read_klines,
    read_quote_bars,
    read_trade_bars,
    read_ws_capture,
)

D = Decimal
CAPTURE = "coinbase-ws-capture-2026/advanced-trade-btc-eth.jsonl.gz"


@pytest.fixture(scope="module")
def capture(shared_data):
    return read_ws_capture(shared_data / CAPTURE)


def test_sim1_minute_trade_bars_real_file(shared_data):
    files = minute_files(shared_data / "coinbase-minute-2018", "trade")
    assert set(files) == {"BTC-USD", "ETH-USD", "LTC-USD", "BTC-EUR"}
    path = shared_data / "coinbase-minute-2018/minute/btcusd/20180405_trade.zip"
    bars = read_trade_bars(path, "BTC-USD")
    assert len(bars) == 1440
    first = bars[0]
    assert first.start == 1522886400  # 2018-04-05 00:00 UTC
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        D("6791.68"),
        D("6791.68"),
        D("6778.01"),
        D("6778.01"),
        D("26.84379253"),
    )
    assert all(b.start % 60 == 0 for b in bars)


def test_sim1_minute_bars_every_file_parses(shared_data):
    root = shared_data / "coinbase-minute-2018"
    parsed: dict[str, int] = {}
    for kind, reader in (("trade", read_trade_bars), ("quote", read_quote_bars)):
        files = minute_files(root, kind)
        assert {"BTC-USD", "ETH-USD", "LTC-USD", "BTC-EUR"} <= set(files), kind  # not vacuous
        for product_id, paths in files.items():
            for path in paths:
                rows = reader(path, product_id)
                assert rows, path
                assert all(isinstance(r.start, int) for r in rows)
                parsed[kind] = parsed.get(kind, 0) + 1
    assert parsed["trade"] >= 8 and parsed["quote"] >= 8


def test_sim1_second_trade_bars_real_file(shared_data):
    path = shared_data / "coinbase-minute-2018/second/btcusd/20161007_trade.zip"
    bars = read_trade_bars(path, "BTC-USD", bar_seconds=1)
    assert len(bars) > 3000
    assert bars[0].start >= 1475798400  # 2016-10-07 00:00 UTC
    with pytest.raises(RecordedDataError, match="60-s bar"):
        read_trade_bars(path, "BTC-USD")


def test_sim1_minute_quote_bars_real_file(shared_data):
    path = shared_data / "coinbase-minute-2018/minute/btcusd/20180405_quote.zip"
    quotes = read_quote_bars(path, "BTC-USD")
    assert (quotes[0].bid, quotes[0].ask) == (D("6778"), D("6778.01"))
    assert quotes[0].ask_size == D("24.426957669999997")  # exact text, no float rounding
    assert all(q.bid <= q.ask for q in quotes)


def test_sim1_symbol_mapping():
    assert product_id_for_symbol("btceur") == "BTC-EUR"
    with pytest.raises(ValueError):
        product_id_for_symbol("btc")


def test_sim1_binance_reader_real_file(shared_data):
    files = binance_files(shared_data / "binance-5m-24pairs-2021")
    assert len(files) == 24
    assert "MATIC-USD" in files and "BTC-USD" in files
    bars = read_klines(files["BTC-USD"])
    assert len(bars) >= 65740
    assert bars[0].product_id == "BTC-USD"
    assert bars[0].start == 1606780800
    assert (bars[0].open, bars[0].high, bars[0].volume) == (
        D("19695.87"),
        D("19720.0"),
        D("794.500517"),
    )
    assert all(b.start % 300 == 0 for b in bars[:1000])


def test_sim1_ws_capture_reader(capture):
    assert len(capture.products) == 920
    btc = next(p for p in capture.products if p.product_id == "BTC-USD")
    assert (btc.base_increment, btc.quote_increment, btc.base_max_size) == (
        D("0.00000001"),
        D("0.01"),
        D("3400"),
    )
    assert len(capture.snapshot_trades) == 200
    assert capture.trades and all(t.side in (Side.BUY, Side.SELL) for t in capture.trades)
    assert len({t.trade_id for t in capture.trades}) == len(capture.trades)
    snapshots = [b for b in capture.books if b.snapshot]
    assert [s.product_id for s in snapshots] == ["BTC-USD", "ETH-USD"]
    assert len(snapshots[0].bids) + len(snapshots[0].asks) == 46000
    assert len(capture.books) == 775
    assert len(capture.candles) == 200
    assert capture.first_time < capture.last_time


def test_sim1_ws_capture_products_only(shared_data, capture):
    assert read_capture_products(shared_data / CAPTURE) == capture.products


def _zip(path: Path, name: str, text: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, text)
    return path


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("0,1,2,0.5,1.5,10\n60000,1,2,0.5\n", 2, "expected 6 fields"),
        ("0,1,2,0.5,1.5,10\n60000,1,2,x,1.5,10\n", 2, "not a number"),
        ("0,1,2,0.5,1.5,10\n60001,1,2,0.5,1.5,10\n", 2, "not a 60-s bar"),
        ("60000,1,2,0.5,1.5,10\n0,1,2,0.5,1.5,10\n", 2, "increasing time"),
        ("0,1,0.9,0.5,1.5,10\n", 1, "inconsistent OHLCV"),
    ],
)
def test_sim1_minute_reader_errors_name_file_and_line(tmp_path, text, line, reason):
    path = _zip(tmp_path / "20180405_trade.zip", "20180405_btcusd_minute_trade.csv", text)
    with pytest.raises(RecordedDataError, match=reason) as caught:
        read_trade_bars(path, "BTC-USD")
    assert caught.value.line == line
    assert str(path) in str(caught.value) and f":{line}:" in str(caught.value)


def test_sim1_minute_reader_bad_zip_and_name(tmp_path):
    bad = tmp_path / "20180405_trade.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(RecordedDataError, match="cannot open zip"):
        read_trade_bars(bad, "BTC-USD")
    misnamed = _zip(tmp_path / "day_trade.zip", "x.csv", "0,1,1,1,1,1\n")
    with pytest.raises(RecordedDataError, match="YYYYMMDD"):
        read_trade_bars(misnamed, "BTC-USD")


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("20180405 00:00,1,2,0.5,1.5,10\n20180406 00:00,1,2\n", 2, "expected 6 fields, got 3"),
        ("2018-04-05,1,2,0.5,1.5,10\n", 1, "time is not 'YYYYMMDD HH:MM'"),
        ("20180405 01:00,1,2,0.5,1.5,10\n", 1, "does not start at midnight"),
        ("20180405 00:00,1,2,x,1.5,10\n", 1, "not a number"),
        ("20180405 00:00,1,0.9,0.5,1.5,10\n", 1, "inconsistent OHLCV"),
        ("20180406 00:00,1,2,0.5,1.5,10\n\n20180405 00:00,1,2,0.5,1.5,10\n", 3, "increasing"),
    ],
)
def test_sim1_daily_reader_errors_name_file_and_line(tmp_path, text, line, reason):
    path = _zip(tmp_path / "btcusd_trade.zip", "btcusd.csv", text)
    with pytest.raises(RecordedDataError, match=reason) as caught:
        read_daily_bars(path, "BTC-USD")
    assert caught.value.line == line
    assert str(path) in str(caught.value) and f":{line}:" in str(caught.value)


def test_sim1_daily_reader_bad_zip_and_contents(tmp_path, shared_data):
    bad = tmp_path / "btcusd_trade.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(RecordedDataError, match="cannot open zip"):
        read_daily_bars(bad, "BTC-USD")
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.csv", "")
        archive.writestr("b.csv", "")
    with pytest.raises(RecordedDataError, match="expected one CSV inside"):
        read_daily_bars(two, "BTC-USD")
    days = read_daily_bars(shared_data / "coinbase-minute-2018/daily/btcusd_trade.zip", "BTC-USD")
    assert days and all(d.start % 86400 == 0 for d in days)
    assert all(a.start < b.start for a, b in itertools.pairwise(days))


def test_sim1_quote_reader_error(tmp_path):
    path = _zip(tmp_path / "20180405_quote.zip", "q.csv", "0,1,1,1,1,1,2,2,2,-2,1\n")
    with pytest.raises(RecordedDataError, match=":1:"):
        read_quote_bars(path, "BTC-USD")


@pytest.mark.parametrize(
    ("rows", "line"),
    [
        ([[1606780800000, 1, 2, 0.5, 1.5, 3], [1606781100000, 1, 2]], 2),
        ([[1606780800000, 1, 2, 0.5, 1.5, 3], [1606781100000, 1, 2, 0.5, 1.5, "x"]], 2),
        ([[1606780800500, 1, 2, 0.5, 1.5, 3]], 1),
        ([[1606780800000, 1, 2, 0.5, 1.5, -3]], 1),
    ],
)
def test_sim1_binance_reader_errors_name_file_and_row(tmp_path, rows, line):
    path = tmp_path / "BTC_USDT-5m.json.gz"
    with gzip.open(path, "wt") as handle:
        json.dump(rows, handle)
    with pytest.raises(RecordedDataError) as caught:
        read_klines(path)
    assert caught.value.line == line and str(path) in str(caught.value)


def test_sim1_binance_reader_rejects_non_json_and_bad_name(tmp_path):
    path = tmp_path / "BTC_USDT-5m.json.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("[[1, 2")
    with pytest.raises(RecordedDataError, match="not a gzip JSON array"):
        read_klines(path)
    with pytest.raises(RecordedDataError, match="file name"):
        read_klines(tmp_path / "btc.json.gz")


def test_sim1_ws_capture_reader_error_names_line(tmp_path):
    path = tmp_path / "capture.jsonl.gz"
    frame = {
        "channel": "market_trades",
        "timestamp": "2026-08-09T21:05:48.1Z",
        "events": [{"type": "update", "trades": [{"trade_id": "1", "price": "oops"}]}],
    }
    lines = [{"t": "header"}, {"t": "recv", "ts": 1.0, "data": json.dumps(frame)}]
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(json.dumps(x) for x in lines) + "\n")
    with pytest.raises(RecordedDataError) as caught:
        read_ws_capture(path)
    assert caught.value.line == 2 and str(path) in str(caught.value)
