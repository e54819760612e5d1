"""Recorded data sets written for the backtest's tests: a 5-minute kline folder, a Coinbase
minute folder and a state file of candles the daemon recorded (BT-1)."""

from __future__ import annotations

import gzip
import json
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from trader.core.types import Candle, ProductRules, Quote
from trader.state.candle_log import RULES_KEY, candle_row, rules_json
from trader.state.db import open_and_migrate

DEC_1 = int(datetime(2020, 12, 1, tzinfo=UTC).timestamp())  # 1606780800
JAN_1 = int(datetime(2018, 1, 1, tzinfo=UTC).timestamp())


class Literal(str):
    """A JSON number written exactly as given (a float could not hold it)."""


# AAA closes carry 5 decimals around 1.2 (generated rules would give 0.0001); BBB is ~20 000.
AAA_ROWS: list[list[object]] = [
    [(DEC_1 + 0) * 1000, 1.2, 1.25, 1.19, 1.23456, 1000],
    [(DEC_1 + 300) * 1000, 1.23456, 1.3, 1.2, 1.29871, 1500.5],
    [(DEC_1 + 600) * 1000, 1.29871, 1.31, 1.28, 1.3, 0],
]
BBB_ROWS: list[list[object]] = [
    [(DEC_1 + 300) * 1000, 19000.1, 19100, 18950, 19050.25, Literal("8827252.0999999996")],
    [(DEC_1 + 600) * 1000, 19050.25, 19060, 19000, 19010, 3],
]


def to_json(value: object) -> str:
    if isinstance(value, Literal):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    return json.dumps(value)


def write_klines(folder: Path, name: str, rows: Sequence[Sequence[object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}_USDT-5m.json.gz"
    path.write_bytes(gzip.compress(to_json(rows).encode(), mtime=0))
    return path


@pytest.fixture
def klines(tmp_path: Path) -> Path:
    folder = tmp_path / "klines"
    write_klines(folder, "AAA", AAA_ROWS)
    write_klines(folder, "BBB", BBB_ROWS)
    return folder


def write_zip(path: Path, csv_name: str, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(csv_name, "".join(f"{line}\n" for line in lines))
    return path


TRADE_LINES = [
    "0,10.5,10.6,10.4,10.55,2.5",
    "60000,10.55,10.7,10.5,10.65,1",
    "180000,10.6,10.6,10.6,10.6,0.001",  # no trades in minute 2
]


def minute_set(root: Path, trade_lines: list[str] | None = None) -> Path:
    pair = root / "minute" / "abcusd"
    write_zip(
        pair / "20180101_trade.zip",
        "20180101_abcusd_minute_trade.csv",
        trade_lines or TRADE_LINES,
    )
    write_zip(
        pair / "20180101_quote.zip",
        "20180101_abcusd_minute_quote.csv",
        [
            "0,10.5,10.6,10.4,10.54,3,10.52,10.61,10.41,10.56,4",
            "60000,10.5,10.6,10.4,10.64,1.5,10.52,10.61,10.41,10.66,2.25",
        ],
    )
    return root


RULES = [
    ProductRules(
        product_id="ETH-USD",
        base_currency="ETH",
        quote_currency="USD",
        base_increment=D("0.00000001"),
        quote_increment=D("0.01"),
        base_min_size=D("0.00000001"),
        base_max_size=D("4000"),
        quote_min_size=D("1"),
        quote_max_size=D("10000000"),
    ),
]


def daemon_db(path: Path, *, rules: list[ProductRules] | None = RULES) -> Path:
    t0 = 1_767_225_600  # 2026-01-01T00:00Z
    rows = [
        candle_row(
            Candle("ETH-USD", t0, D("3000.01"), D("3001"), D("2999.5"), D("3000.5"), D("1.25")),
            Quote("ETH-USD", D("3000.49"), D("0.5"), D("3000.51"), D("0.75"), t0 + 60.2),
        ),
        candle_row(
            Candle("ETH-USD", t0 + 60, D("3000.5"), D("3002"), D("3000"), D("3001.99"), D("0")),
            None,  # no book seen yet
        ),
        candle_row(
            Candle("ETH-USD", t0 + 120, D("3001.99"), D("3003"), D("3001"), D("3002"), D("2")),
            Quote("ETH-USD", D("3001.98"), D("1"), D("3002.02"), D("2"), t0 + 180.1),
        ),
    ]
    conn = open_and_migrate(path)
    try:
        conn.executemany(
            "INSERT INTO candles (product_id, start, open, high, low, close, volume, bid, "
            "bid_size, ask, ask_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        if rules is not None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)", (RULES_KEY, rules_json(rules))
            )
    finally:
        conn.close()
    return path
