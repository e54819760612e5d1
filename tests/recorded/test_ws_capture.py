"""SIM-1: a ws-capture replay (`trader sim --market ws-capture`, `sim.market: ws-capture`)
refuses a malformed line by file and line — a line that is not UTF-8 or not a JSON object,
a frame that is not one, a receive time that is not epoch seconds, a trade or book price
that is not positive, a size below zero, a candle that cannot be real — and the sim says
so in one line, exit 2, instead of a traceback or a market built on garbage."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.sim_cli import run_sim
from trader.recorded.errors import RecordedDataError
from trader.recorded.ws_capture import read_ws_capture

CAPTURE = "coinbase-ws-capture-2026/advanced-trade-btc-eth.jsonl.gz"
AT = "2026-08-09T21:05:48.1Z"
TRADE = {"product_id": "BTC-USD", "trade_id": "t1", "price": "65000", "size": "0.1",
         "time": AT, "side": "BUY"}  # fmt: skip
LEVEL = {"side": "bid", "event_time": AT, "price_level": "65000", "new_quantity": "1"}
CANDLE = {"start": "1786279500", "open": "10", "high": "11", "low": "9", "close": "10",
          "volume": "1", "product_id": "BTC-USD"}  # fmt: skip


def recv(frame: Any, ts: Any = 1786309548.5) -> str:
    return json.dumps({"t": "recv", "ts": ts, "data": json.dumps(frame)})


def trades(**change: str) -> str:
    event = {"type": "update", "trades": [TRADE | change]}
    return recv({"channel": "market_trades", "timestamp": AT, "events": [event]})


def book(**change: str) -> str:
    event = {"type": "update", "product_id": "BTC-USD", "updates": [LEVEL | change]}
    return recv({"channel": "l2_data", "timestamp": AT, "events": [event]})


def candles(**change: str) -> str:
    event = {"type": "update", "candles": [CANDLE | change]}
    return recv({"channel": "candles", "timestamp": AT, "events": [event]})


BAD_LINES: dict[str, str | bytes] = {
    "record_a_list": "[1, 2, 3]",
    "record_a_number": "42",
    "not_utf8": b'{"t": "header", "x": "\xff\xfe"}',
    "frame_a_list": json.dumps({"t": "recv", "ts": 1.0, "data": "[1]"}),
    "frame_events_a_map": recv({"channel": "market_trades", "events": {"a": 1}}),
    "ts_missing": json.dumps({"t": "recv", "data": json.dumps({"channel": "heartbeats"})}),
    "ts_nan_text": recv({"channel": "heartbeats"}, ts="nan"),
    "ts_text": recv({"channel": "heartbeats"}, ts="1786309548"),
    "ts_true": recv({"channel": "heartbeats"}, ts=True),
    "ts_negative": recv({"channel": "heartbeats"}, ts=-1),
    "trade_price_negative": trades(price="-5"),
    "trade_price_zero": trades(price="0"),
    "trade_size_zero": trades(size="0"),
    "level_price_negative": book(price_level="-1"),
    "level_quantity_negative": book(new_quantity="-0.5"),
    "candle_low_above_high": candles(low="12"),
    "candle_volume_negative": candles(volume="-1"),
    "candle_start_arabic": candles(start="\u0661\u0667\u0668\u0666"),
}


def write_capture(folder: Path, shared_data: Path, bad: str | bytes) -> Path:
    """The real capture with `bad` as line 51."""
    with gzip.open(shared_data / CAPTURE, "rb") as handle:
        lines = handle.read().splitlines(keepends=True)
    line = bad if isinstance(bad, bytes) else bad.encode()
    path = folder / CAPTURE
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(b"".join([*lines[:50], line + b"\n", *lines[50:]])))
    return path


@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_sim1_a_malformed_capture_line_is_named_by_file_and_line(
    tmp_path: Path, shared_data: Path, kind: str
):
    path = write_capture(tmp_path, shared_data, BAD_LINES[kind])
    with pytest.raises(RecordedDataError) as caught:
        read_ws_capture(path)
    assert (caught.value.path, caught.value.line) == (str(path), 51), caught.value


def test_sim1_the_real_capture_still_loads_whole(shared_data: Path):
    capture = read_ws_capture(shared_data / CAPTURE)
    assert capture.trades and capture.books and capture.candles and capture.first_time > 0


@pytest.mark.parametrize("kind", ["record_a_list", "ts_missing", "not_utf8", "trade_price_zero"])
def test_sim1_trader_sim_on_a_malformed_capture_is_one_line_and_exit_2(
    tmp_path: Path, shared_data: Path, kind: str
):
    path = write_capture(tmp_path / "replay", shared_data, BAD_LINES[kind])
    result = run_sim("--market", "ws-capture", "--replay", str(tmp_path / "replay"), "--port", "0")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "REST" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trader sim: market ws-capture cannot be built")
    assert f"{path}:51: " in lines[0], lines[0]
