"""Reader for the cryptofeed capture of Coinbase Advanced Trade (`coinbase-ws-capture-2026/`).

The file is gzip JSON lines: `{"t":"header"}`, `{"t":"http","url","data":"<REST body>"}`,
`{"t":"send"}`, `{"t":"recv","ts":<epoch s>,"data":"<raw ws frame>"}`. The reader returns the
REST product rules, the market trades (deduplicated by trade id, oldest first), the level2
snapshots and updates (times from the frame's `timestamp`), and the 5-minute candles.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from trader.core.types import Candle, ProductRules, Side, Trade
from trader.recorded.errors import RecordedDataError, ohlcv_problem, parse_decimal


@dataclass(frozen=True, slots=True)
class BookEvent:
    """One level2 event: a snapshot (whole book) or an update (absolute sizes, 0 removes)."""

    product_id: str
    time: float
    snapshot: bool
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]


@dataclass(slots=True)
class WsCapture:
    products: list[ProductRules] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)  # live `update` trades
    snapshot_trades: list[Trade] = field(default_factory=list)  # recent trades at subscribe
    books: list[BookEvent] = field(default_factory=list)
    candles: list[Candle] = field(default_factory=list)
    first_time: float = 0.0
    last_time: float = 0.0


def parse_time(text: str) -> float:
    """RFC3339 with up to nanoseconds (`2026-08-09T21:05:48.228568804Z`) → epoch seconds."""
    body = text.strip().removesuffix("Z")
    whole, _, fraction = body.partition(".")
    moment = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return moment.timestamp() + (float("0." + fraction) if fraction else 0.0)


def parse_product(raw: dict[str, Any]) -> ProductRules:
    """One `GET /products` entry → ProductRules (Decimal from the strings)."""

    def dec(key: str) -> Decimal:
        return Decimal(str(raw[key]))

    return ProductRules(
        product_id=raw["product_id"],
        base_currency=raw["base_currency_id"],
        quote_currency=raw["quote_currency_id"],
        base_increment=dec("base_increment"),
        quote_increment=dec("quote_increment"),
        base_min_size=dec("base_min_size"),
        base_max_size=dec("base_max_size"),
        quote_min_size=dec("quote_min_size"),
        quote_max_size=dec("quote_max_size"),
        status=raw.get("status", "online"),
        trading_disabled=bool(raw.get("trading_disabled", False)),
        cancel_only=bool(raw.get("cancel_only", False)),
        limit_only=bool(raw.get("limit_only", False)),
        post_only=bool(raw.get("post_only", False)),
        auction_mode=bool(raw.get("auction_mode", False)),
    )


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.capture = WsCapture()
        self.trade_ids: set[str] = set()
        self.candles: dict[tuple[str, int], Candle] = {}

    def line(self, number: int, record: dict[str, Any]) -> None:
        kind = record.get("t")
        if kind == "http" and str(record.get("url", "")).endswith("/market/products"):
            body = json.loads(record["data"])
            self.capture.products = [parse_product(p) for p in body["products"]]
        elif kind == "recv":
            frame = _object(json.loads(record["data"]))
            self.frame(number, frame)

    def frame(self, number: int, frame: dict[str, Any]) -> None:
        channel = frame.get("channel")
        stamp = parse_time(frame["timestamp"]) if "timestamp" in frame else 0.0
        for event in frame.get("events", []):
            if channel == "market_trades":
                self.trades(number, event)
            elif channel == "l2_data":
                self.book(number, event, stamp)
            elif channel == "candles":
                self.candle_rows(number, event)

    def trades(self, number: int, event: dict[str, Any]) -> None:
        for raw in event.get("trades", []):
            if raw["trade_id"] in self.trade_ids:
                continue
            self.trade_ids.add(raw["trade_id"])
            live = event.get("type") != "snapshot"
            (self.capture.trades if live else self.capture.snapshot_trades).append(
                Trade(
                    product_id=raw["product_id"],
                    trade_id=raw["trade_id"],
                    price=_positive(raw["price"], self.path, number, "price"),
                    size=_positive(raw["size"], self.path, number, "size"),
                    side=Side(raw["side"]),
                    time=parse_time(raw["time"]),
                )
            )

    def book(self, number: int, event: dict[str, Any], stamp: float) -> None:
        bids: list[tuple[Decimal, Decimal]] = []
        asks: list[tuple[Decimal, Decimal]] = []
        for row in event.get("updates", []):
            level = (
                _positive(row["price_level"], self.path, number, "price_level"),
                _size(row["new_quantity"], self.path, number, "new_quantity"),
            )
            if row["side"] == "bid":
                bids.append(level)
            elif row["side"] == "offer":
                asks.append(level)
            else:
                raise RecordedDataError(self.path, number, f"unknown l2 side {row['side']!r}")
        self.capture.books.append(
            BookEvent(
                event["product_id"], stamp, event["type"] == "snapshot", tuple(bids), tuple(asks)
            )
        )

    def candle_rows(self, number: int, event: dict[str, Any]) -> None:
        for raw in event.get("candles", []):
            values = [
                parse_decimal(raw[k], self.path, number, k)
                for k in ("open", "high", "low", "close", "volume")
            ]
            problem = ohlcv_problem(*values)
            start = str(raw["start"])
            if problem is not None or not (start.isascii() and start.isdigit()):
                raise RecordedDataError(self.path, number, problem or f"start {start!r}")
            candle = Candle(raw["product_id"], int(start), *values)
            self.candles[(candle.product_id, candle.start)] = candle


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"not a JSON object: {value!r:.80}")
    return value


def _receive_time(value: Any) -> float:
    """A receive time: epoch seconds as a JSON number (not a string, not true/false)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"ts is not epoch seconds: {value!r}")
    return float(value)


def _positive(text: Any, path: Path, number: int, name: str) -> Decimal:
    value = parse_decimal(text, path, number, name)
    if value <= 0:
        raise RecordedDataError(path, number, f"{name} is not positive: {text!r}")
    return value


def _size(text: Any, path: Path, number: int, name: str) -> Decimal:
    value = parse_decimal(text, path, number, name)
    if value < 0:
        raise RecordedDataError(path, number, f"{name} is negative: {text!r}")
    return value


def read_capture_products(path: Path) -> list[ProductRules]:
    """Only the REST `/market/products` rules of a capture (stops reading once found)."""
    reader = _Reader(path)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, text in enumerate(handle, start=1):
                record = json.loads(text)
                if record.get("t") == "http":
                    reader.line(number, record)
                    if reader.capture.products:
                        return reader.capture.products
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
        raise RecordedDataError(path, 0, f"cannot read products: {exc!r}") from exc
    raise RecordedDataError(path, 0, "no /market/products response in the capture")


def read_ws_capture(path: Path) -> WsCapture:
    """Parse the whole capture; malformed lines raise RecordedDataError naming file and line:
    a line that is not UTF-8 or not a JSON object, a frame that is not one, a field of the
    wrong kind, a receive time that is not a finite number, a price that is not positive."""
    reader = _Reader(path)
    times: list[float] = []
    number = 0
    try:
        with gzip.open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    record = _object(json.loads(raw.decode("utf-8")))
                    reader.line(number, record)
                    if record.get("t") == "recv":
                        times.append(_receive_time(record["ts"]))
                except RecordedDataError:
                    raise
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    raise RecordedDataError(path, number, f"malformed record: {exc!r}") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise RecordedDataError(path, number + 1, f"cannot read gzip: {exc}") from exc
    capture = reader.capture
    capture.trades.sort(key=lambda t: (t.time, t.trade_id))
    capture.snapshot_trades.sort(key=lambda t: (t.time, t.trade_id))
    capture.candles = sorted(reader.candles.values(), key=lambda c: (c.product_id, c.start))
    capture.first_time, capture.last_time = (min(times), max(times)) if times else (0.0, 0.0)
    return capture
