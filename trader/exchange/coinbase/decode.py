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
ASCII digits in range, the whole second cached) and fall back to the REST parser for any
other text, so both read a time alike (the fast path also takes a leap second, `:60`).
An event's `type` is `snapshot` or `update` (a snapshot replaces, so a misread one would
apply a book or an order list wrongly). A `ticker` or `market_trades` frame holding more
than `MAX_ROWS_PER_FRAME` rows (real frames hold one ticker per product and tens of
trades) raises `OversizedFrame` before the rows past the cap are read: the work one frame
costs the event loop stays bounded, and the stream resyncs in its place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from trader.exchange.coinbase.codes import order_status
from trader.exchange.coinbase.fields import amount_problem, parse_time
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
_SECONDS: Final[dict[str, float]] = {}  # "YYYY-MM-DDTHH:MM:SS" -> epoch (valid ones only)
_MAX_CACHED_SECONDS: Final = 4096
_ZERO: Final = Decimal(0)
_POSITIVE: Final[dict[str, Decimal]] = {}  # prices, trade sizes: > 0
_QUANTITY: Final[dict[str, Decimal]] = {}  # book levels, order progress: >= 0
_MAX_CACHED_DECIMALS: Final = 20_000
SIDES: Final = frozenset({"BUY", "SELL"})
BOOK_SIDES: Final = frozenset({"bid", "offer"})
EVENT_TYPES: Final = {"snapshot": True, "update": False}  # type -> is a snapshot
_WHOLE_SECOND: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", re.ASCII)
_EXACT_PLACES: Final = 15  # 10^15 < 2^53: the digits' integer and the power are exact doubles
_TENS: Final = tuple(10.0**places for places in range(_EXACT_PLACES + 1))
MAX_ROWS_PER_FRAME: Final = 5_000  # tickers or trades in one frame


class DecodeError(Exception):
    """A frame that does not match the documented channel payload."""

    def __init__(self, channel: str, problem: str) -> None:
        super().__init__(f"{channel}: {problem}")
        self.channel = channel
        self.problem = problem


class OversizedFrame(DecodeError):
    """A frame holding more rows than one frame may cost the event loop; nothing of it is
    read."""

    def __init__(self, channel: str, rows: int) -> None:
        super().__init__(channel, f"{rows} rows, more than {MAX_ROWS_PER_FRAME} in one frame")
        self.rows = rows


def _oversized(channel: str, msg: dict[str, Any], key: str) -> OversizedFrame:
    """The refusal of a frame found above the row cap, naming all its `key` rows."""
    rows = sum(len(e.get(key) or ()) for e in msg["events"] if type(e) is dict)
    return OversizedFrame(channel, rows)


def _second_epoch(prefix: str) -> float | None:
    """Epoch of an RFC3339 second (`2026-08-09T21:05:48`; `:60`, a leap second, is `:59`
    plus one), cached; None when it is not one (`int`, `float` and `timegm` alone would
    take signs, `_`, exponents, non-ASCII digits, hour 29 or day 32)."""
    if _WHOLE_SECOND.fullmatch(prefix) is None:
        return None
    second = int(prefix[17:19])
    if second > 60:
        return None
    try:
        moment = datetime(
            int(prefix[0:4]),
            int(prefix[5:7]),
            int(prefix[8:10]),
            int(prefix[11:13]),
            int(prefix[14:16]),
            min(second, 59),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    epoch = moment.timestamp() + (second == 60)
    if len(_SECONDS) >= _MAX_CACHED_SECONDS:
        _SECONDS.clear()
    _SECONDS[prefix] = epoch
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
    problem = amount_problem(value, positive=not zero_ok)
    if problem is not None:
        raise ValueError(f"{text!r} {problem}")
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
    """RFC3339 UTC (`2026-08-09T21:05:48.167634Z`, up to 9 digits) as epoch seconds; a
    text off the fast path's shape goes to the REST parser, so both read a time alike."""
    if type(text) is not str:
        raise ValueError(f"time is not a string: {text!r}")
    if len(text) >= 20 and text[-1] == "Z":
        prefix = text[:19]
        base = _SECONDS.get(prefix)
        if base is None:
            base = _second_epoch(prefix)
        if base is not None:
            fraction = _fraction(text)
            if fraction is not None:
                return base + fraction
    try:
        return parse_time(text, "ws", "time")
    except ExchangeProtocolError as exc:
        raise ValueError(str(exc)) from None


def _fraction(text: str) -> float | None:
    """The fraction of a second of a fast-path time (`text` ends with `Z` after 19 places):
    none, or `.` and ASCII digits — each character checked (`float` alone would take `5.1`
    after `:4`, `.5e1`, `.1_2`, `.5 ` or non-ASCII digits); None for any other shape; `.`
    alone (no digit: not RFC3339) raises ValueError. Up to 15 digits the value is the
    digits' integer over a power of ten: both exact doubles, so the one division rounds
    exactly as `float(".ddd")` does; longer fractions go through `float`."""
    end = len(text) - 1
    if end == 19:
        return 0.0
    if text[19] != ".":
        return None
    digits = 0
    for index in range(20, end):
        digit = ord(text[index]) - 48
        if digit < 0 or digit > 9:
            return None
        digits = digits * 10 + digit
    places = end - 20
    if places == 0:
        raise ValueError(f"no digit after the decimal point: {text!r}")
    if places > _EXACT_PLACES:
        return float(text[19:end])
    return digits / _TENS[places]


def _stamp(stamp: Any) -> float:
    if type(stamp) is str and stamp[-1:] == "Z":
        base = _SECONDS.get(stamp[:19])
        if base is not None:
            fraction = _fraction(stamp)
            if fraction is not None:
                return base + fraction
    return fast_time(stamp)


def _snapshot(event: dict[str, Any]) -> bool:
    """True for a `snapshot` event, False for an `update`; any other type is refused."""
    kind = event["type"]
    snapshot = EVENT_TYPES.get(kind) if type(kind) is str else None
    if snapshot is None:
        raise ValueError(f"event type {kind!r} is not snapshot or update")
    return snapshot


def decode_ticker(msg: dict[str, Any]) -> list[TickerEvent]:
    """`ticker` rows with a touch; rows without best bid/ask (empty book) are skipped.
    This is the PERF-2 hot path. Rows are typed as dicts (compiled: a dict's item is read
    directly, not through the generic protocol; anything else is a TypeError, so a
    malformed frame)."""
    when = _stamp(msg["timestamp"])
    out: list[TickerEvent] = []
    event: dict[str, Any]
    t: dict[str, Any]
    rows = 0
    for event in msg["events"]:
        tickers = event["tickers"]
        rows += len(tickers)
        if rows > MAX_ROWS_PER_FRAME:
            raise _oversized("ticker", msg, "tickers")
        for t in tickers:
            bid_s, ask_s = t["best_bid"], t["best_ask"]
            if bid_s == "" or ask_s == "":  # a side of the book is empty: no touch
                continue
            price_s, bid_size_s = t["price"], t["best_bid_quantity"]
            ask_size_s = t["best_ask_quantity"]
            price = positive(price_s)
            bid = positive(bid_s)
            ask = positive(ask_s)
            bid_size = quantity(bid_size_s)
            ask_size = quantity(ask_size_s)
            out.append(
                TickerEvent(_product(t["product_id"]), price, bid, bid_size, ask, ask_size, when)
            )
    return out


def decode_trades(msg: dict[str, Any]) -> list[TradesEvent]:
    out: list[TradesEvent] = []
    event: dict[str, Any]
    t: dict[str, Any]
    rows = 0
    for event in msg["events"]:
        trades: list[MarketTrade] = []
        rows += len(event["trades"])
        if rows > MAX_ROWS_PER_FRAME:
            raise _oversized("market_trades", msg, "trades")
        for t in event["trades"]:
            price_s, size_s, side, trade_id = t["price"], t["size"], t["side"], t["trade_id"]
            if side not in SIDES or type(trade_id) is not str or not trade_id:
                raise ValueError(f"trade side {side!r} or id {trade_id!r} is not valid")
            price = positive(price_s)
            size = positive(size_s)
            when = _stamp(t["time"])
            trades.append(MarketTrade(_product(t["product_id"]), trade_id, price, size, side, when))
        out.append(TradesEvent(trades, _snapshot(event)))
    return out


def decode_level2(msg: dict[str, Any]) -> list[BookEvent]:
    out: list[BookEvent] = []
    for event in msg["events"]:
        snapshot = _snapshot(event)
        updates = []
        for u in event["updates"]:
            if u["side"] not in BOOK_SIDES:
                raise ValueError(f"book side {u['side']!r} is not bid or offer")
            updates.append((u["side"], positive(u["price_level"]), quantity(u["new_quantity"])))
        out.append(BookEvent(_product(event["product_id"]), snapshot, updates))
    return out


def _dec(value: Any) -> Decimal:
    return quantity(value) if value not in (None, "") else _ZERO


def _count(value: Any) -> int:
    """A count (`number_of_fills`): absent, or a non-negative integer as string or number
    (`int` alone would take -1, 2.7 or true)."""
    if value is None or value == "":
        return 0
    if type(value) is int and value >= 0:
        return value
    if type(value) is str and value.isascii() and value.isdigit():
        return int(value)
    raise ValueError(f"not a count: {value!r}")


def decode_user(msg: dict[str, Any]) -> list[OrderEvent]:
    out: list[OrderEvent] = []
    for event in msg["events"]:
        snapshot = _snapshot(event)
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
                    status=order_status(status),
                    order_type=str(o.get("order_type", "")).upper(),
                    cumulative_quantity=_dec(o.get("cumulative_quantity")),
                    leaves_quantity=_dec(o.get("leaves_quantity")),
                    avg_price=_dec(o.get("avg_price")),
                    filled_value=_dec(o.get("filled_value")),
                    total_fees=_dec(o.get("total_fees")),
                    number_of_fills=_count(o.get("number_of_fills")),
                    snapshot=snapshot,
                )
            )
    return out


DECODERS: Final[dict[str, Decoder]] = {
    "ticker": decode_ticker,
    "market_trades": decode_trades,
    "l2_data": decode_level2,
    "user": decode_user,
}
IGNORED_CHANNELS: Final = frozenset(
    {"heartbeats", "subscriptions", "candles", "ticker_batch", "status", "futures_balance_summary"}
)


def decode_events(channel: str, msg: dict[str, Any]) -> list[Any]:
    """Typed events of one data frame; [] for channels we do not use (heartbeats, acks).
    Raises DecodeError on a malformed payload, OversizedFrame on one above the row cap."""
    decoder = DECODERS.get(channel)
    if decoder is None:
        return []
    if len(_POSITIVE) >= _MAX_CACHED_DECIMALS or len(_QUANTITY) >= _MAX_CACHED_DECIMALS:
        clear_decimal_cache()  # bounded once per frame, not per field
    try:
        return decoder(msg)
    except (KeyError, TypeError, ValueError, IndexError, InvalidOperation, AttributeError) as exc:
        raise DecodeError(channel, f"{type(exc).__name__}: {exc}") from None
