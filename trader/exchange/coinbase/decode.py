"""WebSocket frame decoding (EX-2, PERF-2): orjson → small typed slots objects.

No validation layer on the hot path: fields are read straight from the parsed dict and
money is `Decimal(str)` through a bounded intern cache (touch prices and sizes repeat:
~73 % of the money strings in the recorded capture are repeats; Decimals are immutable,
so sharing one object per string is safe). A frame that does not match the documented shape raises
`DecodeError` (the stream counts and logs it, naming channel and problem).
Timestamps take a fast path (`YYYY-MM-DDTHH:MM:SS.fffZ`, minute prefix cached) and fall
back to a full RFC3339 parse.
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
_DECIMALS: dict[str, Decimal] = {}
_MAX_CACHED_DECIMALS = 20_000


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
    _DECIMALS.clear()


def fast_time(text: str) -> float:
    """RFC3339 UTC (`2026-08-09T21:05:48.167634Z`, up to 9 digits) as epoch seconds."""
    if len(text) >= 20 and text[-1] == "Z" and text[16] == ":":
        prefix = text[:16]
        base = _MINUTES.get(prefix)
        if base is None:
            base = _minute_epoch(prefix)
        return base + float(text[17:-1])
    try:
        return parse_time(text, "ws", "time")
    except ExchangeProtocolError as exc:
        raise ValueError(str(exc)) from None


def decode_ticker(msg: dict[str, Any]) -> list[TickerEvent]:
    """`ticker` rows with a touch; rows without best bid/ask (empty book) are skipped.
    Decimal interning is inlined (no call per field): this is the PERF-2 hot path."""
    stamp = msg["timestamp"]
    base = _MINUTES.get(stamp[:16])  # fast_time inlined
    when = (
        base + float(stamp[17:-1])
        if base is not None and stamp[-1] == "Z" and stamp[16] == ":"
        else fast_time(stamp)
    )
    cache = _DECIMALS
    get = cache.get
    out: list[TickerEvent] = []
    for event in msg["events"]:
        for t in event["tickers"]:
            bid_s, ask_s = t["best_bid"], t["best_ask"]
            if not bid_s or not ask_s:
                continue
            price_s, bid_size_s = t["price"], t["best_bid_quantity"]
            ask_size_s = t["best_ask_quantity"]
            if (price := get(price_s)) is None:
                price = cache[price_s] = Decimal(price_s)
            if (bid := get(bid_s)) is None:
                bid = cache[bid_s] = Decimal(bid_s)
            if (bid_size := get(bid_size_s)) is None:
                bid_size = cache[bid_size_s] = Decimal(bid_size_s)
            if (ask := get(ask_s)) is None:
                ask = cache[ask_s] = Decimal(ask_s)
            if (ask_size := get(ask_size_s)) is None:
                ask_size = cache[ask_size_s] = Decimal(ask_size_s)
            out.append(TickerEvent(t["product_id"], price, bid, bid_size, ask, ask_size, when))
    return out


def decode_trades(msg: dict[str, Any]) -> list[TradesEvent]:
    out: list[TradesEvent] = []
    minutes = _MINUTES
    cache = _DECIMALS
    get = cache.get
    for event in msg["events"]:
        trades: list[MarketTrade] = []
        append = trades.append
        for t in event["trades"]:
            text = t["time"]
            base = minutes.get(text[:16])  # fast_time inlined
            when = (
                base + float(text[17:-1])
                if base is not None and text[-1] == "Z" and text[16] == ":"
                else fast_time(text)
            )
            price_s, size_s = t["price"], t["size"]
            if (price := get(price_s)) is None:
                price = cache[price_s] = Decimal(price_s)
            if (size := get(size_s)) is None:
                size = cache[size_s] = Decimal(size_s)
            append(MarketTrade(t["product_id"], t["trade_id"], price, size, t["side"], when))
        out.append(TradesEvent(trades, event["type"] == "snapshot"))
    return out


def decode_level2(msg: dict[str, Any]) -> list[BookEvent]:
    out: list[BookEvent] = []
    for event in msg["events"]:
        updates = [
            (u["side"], Decimal(u["price_level"]), Decimal(u["new_quantity"]))
            for u in event["updates"]
        ]
        out.append(BookEvent(event["product_id"], event["type"] == "snapshot", updates))
    return out


def _dec(value: Any) -> Decimal:
    return Decimal(value) if value not in (None, "") else _ZERO


def decode_user(msg: dict[str, Any]) -> list[OrderEvent]:
    out: list[OrderEvent] = []
    for event in msg["events"]:
        snapshot = event["type"] == "snapshot"
        for o in event.get("orders") or ():
            out.append(
                OrderEvent(
                    order_id=o["order_id"],
                    client_order_id=o.get("client_order_id", ""),
                    product_id=o["product_id"],
                    side=o["order_side"],
                    status=o["status"],
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
    if len(_DECIMALS) >= _MAX_CACHED_DECIMALS:
        _DECIMALS.clear()  # bounded once per frame, not per field
    try:
        return decoder(msg)
    except (KeyError, TypeError, ValueError, IndexError, InvalidOperation) as exc:
        raise DecodeError(channel, f"{type(exc).__name__}: {exc}") from None
