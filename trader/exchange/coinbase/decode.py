"""WebSocket frame decoding (EX-2, PERF-2): orjson → small typed slots objects.

Fields are read straight from the parsed dict and checked with the REST parser's rules
(EX-2): money is a decimal string, finite, within 10^±20, positive for prices and trade
sizes, not negative for book and order quantities; product ids are non-empty strings;
sides and times are known and parseable. Money goes through bounded intern caches, one per
rule (touch prices and sizes repeat: ~73 % of the money strings in the recorded capture
are repeats; Decimals are immutable, so sharing one object per string is safe) — a string
is checked once, when it enters its cache. A frame that breaks any rule raises
`DecodeError`: the stream counts it (`trader_ws_bad_frames_total`), logs it and drops it
whole; nothing of it is applied. Timestamps take a fast path (`YYYY-MM-DDTHH:MM:SS.fffZ`,
minute prefix cached) and fall back to a full RFC3339 parse.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from trader.exchange.coinbase.fields import parse_time
from trader.exchange.errors import ExchangeProtocolError
from trader.exchange.models import (
    BookEvent,
    MarketTrade,
    OrderEvent,
    TickerEvent,
    TradesEvent,
)

Event = TickerEvent | TradesEvent | BookEvent | OrderEvent
Decoder = Callable[[dict[str, Any]], list[Any]]
_MINUTES: dict[str, float] = {}
_MAX_CACHED_MINUTES = 4096
_ZERO = Decimal(0)
_POSITIVE: dict[str, Decimal] = {}  # prices, trade sizes: > 0
_QUANTITY: dict[str, Decimal] = {}  # book levels, order progress: >= 0
_MAX_CACHED_DECIMALS = 20_000
_MAX_EXPONENT = 20  # |log10| of any price or size: beyond it is not a market's number
SIDES = frozenset({"BUY", "SELL"})
BOOK_SIDES = frozenset({"bid", "offer"})


class DecodeError(Exception):
    """A frame that does not match the documented channel payload."""

    def __init__(self, channel: str, problem: str) -> None:
        super().__init__(f"{channel}: {problem}")
        self.channel = channel
        self.problem = problem


def _minute_epoch(prefix: str) -> float:
    year, month, day = int(prefix[0:4]), int(prefix[5:7]), int(prefix[8:10])
    hour, minute = int(prefix[11:13]), int(prefix[14:16])
    if prefix[4] != "-" or prefix[7] != "-" or prefix[10] != "T" or prefix[13] != ":":
        raise ValueError(f"not an RFC3339 minute: {prefix!r}")
    epoch = float(calendar.timegm((year, month, day, hour, minute, 0, 0, 0, 0)))
    if len(_MINUTES) >= _MAX_CACHED_MINUTES:
        _MINUTES.clear()
    _MINUTES[prefix] = epoch
    return epoch


def clear_decimal_cache() -> None:
    """Forget interned decimals (benchmarks start each round cold)."""
    _POSITIVE.clear()
    _QUANTITY.clear()


def _money(text: Any, cache: dict[str, Decimal], zero_ok: bool) -> Decimal:
    """Parse and check one wire decimal, then intern it (a cache miss: not the hot path)."""
    if type(text) is not str:
        raise ValueError(f"not a decimal string: {text!r}")
    value = Decimal(text)
    if not value.is_finite() or value < 0 or (value == 0 and not zero_ok):
        raise ValueError(f"not a {'quantity' if zero_ok else 'positive number'}: {text!r}")
    if value and not -_MAX_EXPONENT <= value.adjusted() <= _MAX_EXPONENT:
        raise ValueError(f"out of range: {text!r}")
    cache[text] = value
    return value


def positive(text: Any) -> Decimal:
    found = _POSITIVE.get(text) if type(text) is str else None
    return found if found is not None else _money(text, _POSITIVE, False)


def quantity(text: Any) -> Decimal:
    found = _QUANTITY.get(text) if type(text) is str else None
    return found if found is not None else _money(text, _QUANTITY, True)


def _product(value: Any) -> str:
    if type(value) is not str or not value:
        raise ValueError(f"product id is not a non-empty string: {value!r}")
    return value


def fast_time(text: str) -> float:
    """RFC3339 UTC (`2026-08-09T21:05:48.167634Z`, up to 9 digits) as epoch seconds."""
    if type(text) is not str:
        raise ValueError(f"time is not a string: {text!r}")
    if len(text) >= 20 and text[-1] == "Z" and text[16] == ":":
        prefix = text[:16]
        base = _MINUTES.get(prefix)
        if base is None:
            base = _minute_epoch(prefix)
        return base + _seconds(text)
    try:
        return parse_time(text, "ws", "time")
    except ExchangeProtocolError as exc:
        raise ValueError(str(exc)) from None


def _seconds(text: str) -> float:
    """The seconds of a fast-path time, checked (`float` would take `nan` or `inf`)."""
    secs = float(text[17:-1])
    if not 0.0 <= secs < 61.0:
        raise ValueError(f"not an RFC3339 time: {text!r}")
    return secs


def _stamp(stamp: Any) -> float:
    if type(stamp) is str and stamp[-1:] == "Z" and stamp[16:17] == ":":
        base = _MINUTES.get(stamp[:16])
        if base is not None:
            return base + _seconds(stamp)
    return fast_time(stamp)


def decode_ticker(msg: dict[str, Any]) -> list[TickerEvent]:
    """`ticker` rows with a touch; rows without best bid/ask (empty book) are skipped.
    Cache lookups are inlined (no call per field on a hit): this is the PERF-2 hot path."""
    when = _stamp(msg["timestamp"])
    prices, sizes = _POSITIVE.get, _QUANTITY.get
    out: list[TickerEvent] = []
    for event in msg["events"]:
        for t in event["tickers"]:
            bid_s, ask_s = t["best_bid"], t["best_ask"]
            if bid_s == "" or ask_s == "":  # a side of the book is empty: no touch
                continue
            price_s, bid_size_s = t["price"], t["best_bid_quantity"]
            ask_size_s = t["best_ask_quantity"]
            price = prices(price_s) or positive(price_s)
            bid = prices(bid_s) or positive(bid_s)
            ask = prices(ask_s) or positive(ask_s)
            bid_size = sizes(bid_size_s) or quantity(bid_size_s)
            ask_size = sizes(ask_size_s) or quantity(ask_size_s)
            out.append(
                TickerEvent(_product(t["product_id"]), price, bid, bid_size, ask, ask_size, when)
            )
    return out


def decode_trades(msg: dict[str, Any]) -> list[TradesEvent]:
    out: list[TradesEvent] = []
    get = _POSITIVE.get
    for event in msg["events"]:
        trades: list[MarketTrade] = []
        append = trades.append
        for t in event["trades"]:
            price_s, size_s, side, trade_id = t["price"], t["size"], t["side"], t["trade_id"]
            if side not in SIDES or type(trade_id) is not str or not trade_id:
                raise ValueError(f"trade side {side!r} or id {trade_id!r} is not valid")
            price = get(price_s) or positive(price_s)
            size = get(size_s) or positive(size_s)
            when = _stamp(t["time"])
            append(MarketTrade(_product(t["product_id"]), trade_id, price, size, side, when))
        out.append(TradesEvent(trades, event["type"] == "snapshot"))
    return out


def decode_level2(msg: dict[str, Any]) -> list[BookEvent]:
    out: list[BookEvent] = []
    for event in msg["events"]:
        updates = []
        for u in event["updates"]:
            if u["side"] not in BOOK_SIDES:
                raise ValueError(f"book side {u['side']!r} is not bid or offer")
            updates.append((u["side"], positive(u["price_level"]), quantity(u["new_quantity"])))
        out.append(BookEvent(_product(event["product_id"]), event["type"] == "snapshot", updates))
    return out


def _dec(value: Any) -> Decimal:
    return quantity(value) if value not in (None, "") else _ZERO


def decode_user(msg: dict[str, Any]) -> list[OrderEvent]:
    out: list[OrderEvent] = []
    for event in msg["events"]:
        snapshot = event["type"] == "snapshot"
        for o in event.get("orders") or ():
            order_id, client_id, status = o["order_id"], o.get("client_order_id", ""), o["status"]
            if o["order_side"] not in SIDES or type(order_id) is not str or not order_id:
                raise ValueError(f"order side or id is not valid: {o['order_side']!r}")
            if type(client_id) is not str or type(status) is not str:
                raise ValueError("client order id or status is not a string")
            out.append(
                OrderEvent(
                    order_id=order_id,
                    client_order_id=client_id,
                    product_id=_product(o["product_id"]),
                    side=o["order_side"],
                    status=status,
                    order_type=str(o.get("order_type", "")).upper(),
                    cumulative_quantity=_dec(o.get("cumulative_quantity")),
                    leaves_quantity=_dec(o.get("leaves_quantity")),
                    avg_price=_dec(o.get("avg_price")),
                    filled_value=_dec(o.get("filled_value")),
                    total_fees=_dec(o.get("total_fees")),
                    number_of_fills=int(o.get("number_of_fills") or 0),
                    snapshot=snapshot,
                )
            )
    return out


DECODERS: dict[str, Decoder] = {
    "ticker": decode_ticker,
    "market_trades": decode_trades,
    "l2_data": decode_level2,
    "user": decode_user,
}
IGNORED_CHANNELS = frozenset(
    {"heartbeats", "subscriptions", "candles", "ticker_batch", "status", "futures_balance_summary"}
)


def decode_events(channel: str, msg: dict[str, Any]) -> list[Any]:
    """Typed events of one data frame; [] for channels we do not use (heartbeats, acks).
    Raises DecodeError on a malformed payload."""
    decoder = DECODERS.get(channel)
    if decoder is None:
        return []
    if len(_POSITIVE) >= _MAX_CACHED_DECIMALS or len(_QUANTITY) >= _MAX_CACHED_DECIMALS:
        clear_decimal_cache()  # bounded once per frame, not per field
    try:
        return decoder(msg)
    except (KeyError, TypeError, ValueError, IndexError, InvalidOperation, AttributeError) as exc:
        raise DecodeError(channel, f"{type(exc).__name__}: {exc}") from None
