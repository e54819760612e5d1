"""EX-2 fuzz: the class of malformed WebSocket frames, not examples.

Seeds are real frames: the 2026 Coinbase capture (`ticker`, `market_trades`, `l2_data`,
`candles`, `heartbeats`, `subscriptions`) and what the simulator emits (`user` orders from
`user_order_json`, an empty-book ticker, a Go-format heartbeat). From them a seeded
`random.Random` builds `PER_CHANNEL` mutants per channel: values replaced by negative,
zero, NaN, "Infinity", "1E+999999999999999999", "", null, lists, maps, bools, huge
numbers, unknown enum strings and malformed timestamps; keys deleted; the type of
`events`/`updates`/`tickers`/`trades`/`candles`/`orders` changed; raw non-JSON tokens
(`NaN`, `1e400`, 30-digit integers) spliced in; bytes flipped; JSON truncated.

Properties:
- `decode_events` raises nothing but `DecodeError` (its documented report of a bad frame);
- every event it yields has string product ids, finite money (prices and trade sizes
  positive, book and order quantities not negative), known sides and event types, a
  non-negative fill count, and times that are finite and equal to what the REST parser
  (`fields.parse_time`) reads from the same text — a text it refuses is never a time;
- the stream (`WsStream._read`) never fails on any frame, and each frame is either
  accepted or counted exactly once in `trader_ws_bad_frames_total` with nothing applied.

Measured (seed 20260809, 3000 mutants per channel, 21 000 frames; print with -s):

    channel        stream: accepted / refused    decode_events: accepted / DecodeError / not JSON
    ticker                 1081 / 1919                          1041 / 1243 / 716
    market_trades           688 / 2312                           613 / 1689 / 698
    l2_data                 690 / 2310                           643 / 1574 / 783
    user                   1274 / 1726                          1237 / 1010 / 753
    candles                2168 /  832       (not decoded: refused only when not JSON,
    heartbeats             2006 /  994        without a channel, or an ack whose events
    subscriptions          1924 / 1076        is not a list)

(The stream accepts a few more than the decoder: a mutated `channel` can make a frame a
heartbeat or an unknown channel, which carry nothing to check.)

The seed frames and the mutator are in `ws_fuzz_frames.py`, the values it plants in
`ws_fuzz_values.py`; this module holds the properties and the tests.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import orjson
import pytest
from structlog.testing import capture_logs

from tests.exchange.ws_fuzz_frames import CHANNELS, PER_CHANNEL, build_corpus, load_seeds
from trader.core.clock import wall_clock
from trader.core.orders import OrderStatus
from trader.exchange.coinbase.decode import (
    DECODERS,
    DecodeError,
    clear_decimal_cache,
    decode_events,
)
from trader.exchange.coinbase.fields import parse_time
from trader.exchange.coinbase.ws import Subscription, WsStream, _Reconnect
from trader.exchange.errors import ExchangeProtocolError
from trader.exchange.metrics import adapter_metrics
from trader.exchange.models import (
    BookEvent,
    OrderEvent,
    StreamStatus,
    TickerEvent,
    TradesEvent,
)
from trader.ops.metrics import Metrics

EVENT_CLASS = {
    "ticker": TickerEvent,
    "market_trades": TradesEvent,
    "l2_data": BookEvent,
    "user": OrderEvent,
}
RFC3339_SHAPE = re.compile(r"(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}):60(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


@pytest.fixture(scope="module")
def corpus(shared_data) -> dict[str, list[bytes]]:
    return build_corpus(load_seeds(shared_data))


@pytest.fixture(autouse=True)
def _cold_caches() -> Iterator[None]:
    clear_decimal_cache()
    yield
    clear_decimal_cache()


# --- the properties ------------------------------------------------------------------------


def _expected_time(text: Any) -> float | None:
    """What the REST parser reads from `text`; a leap second (`:60`) is the minute after
    `:59` plus one second (the decoder's fast path tolerates it by design)."""
    if not isinstance(text, str):
        return None
    leap = RFC3339_SHAPE.fullmatch(text)
    if leap is not None:
        text, extra = f"{leap[1]}:59{leap[2] or ''}{leap[3]}", 1.0
    else:
        extra = 0.0
    try:
        return parse_time(text, "ws", "time") + extra
    except ExchangeProtocolError:
        return None


def _check_time(value: float, text: Any, where: str) -> None:
    assert type(value) is float and math.isfinite(value), (where, value)
    expected = _expected_time(text)
    assert expected is not None, f"{where}: {text!r} is not an RFC3339 time, read as {value}"
    assert abs(value - expected) < 1e-5, (where, text, value, expected)


def _check_money(value: Any, positive: bool, where: str) -> None:
    assert type(value) is Decimal and value.is_finite(), (where, value)
    assert value > 0 if positive else value >= 0, (where, value)
    assert not value or -20 <= value.adjusted() <= 20, (where, value)


def _check_id(value: Any, where: str, empty_ok: bool = False) -> None:
    assert type(value) is str and (empty_ok or value), (where, value)


def _check_event_types(channel: str, msg: dict[str, Any]) -> None:
    """Where the event type means something (a snapshot replaces), it must be known; a
    ticker row is the same either way and its type is not read."""
    if channel == "ticker":
        return
    for event in msg["events"]:
        assert event["type"] in ("snapshot", "update"), f"event type {event['type']!r} accepted"


def _check_ticker(event: TickerEvent, msg: dict[str, Any]) -> None:
    _check_id(event.product_id, "ticker.product_id")
    for name in ("price", "bid", "ask"):
        _check_money(getattr(event, name), True, f"ticker.{name}")
    for name in ("bid_size", "ask_size"):
        _check_money(getattr(event, name), False, f"ticker.{name}")
    _check_time(event.time, msg["timestamp"], "ticker.timestamp")


def _check_trades(event: TradesEvent, msg: dict[str, Any], events: list[Any]) -> None:
    """One trades event; then every trade time of the frame against its text."""
    assert type(event.snapshot) is bool
    for trade in event.trades:
        _check_id(trade.product_id, "trade.product_id")
        _check_id(trade.trade_id, "trade.trade_id")
        _check_money(trade.price, True, "trade.price")
        _check_money(trade.size, True, "trade.size")
        assert trade.side in ("BUY", "SELL"), trade.side
        assert math.isfinite(trade.time)
    stamps = [t["time"] for e in msg["events"] for t in e["trades"]]
    times = [t.time for e in events for t in e.trades]
    for stamp, when in zip(stamps, times, strict=True):
        _check_time(when, stamp, "trade.time")


def _check_book(event: BookEvent) -> None:
    _check_id(event.product_id, "book.product_id")
    assert type(event.snapshot) is bool
    for side, price, size in event.updates:
        assert side in ("bid", "offer"), side
        _check_money(price, True, "book.price_level")
        _check_money(size, False, "book.new_quantity")


ORDER_QUANTITIES = (
    "cumulative_quantity",
    "leaves_quantity",
    "avg_price",
    "filled_value",
    "total_fees",
)


def _check_order(event: OrderEvent) -> None:
    _check_id(event.order_id, "order.order_id")
    _check_id(event.client_order_id, "order.client_order_id", empty_ok=True)
    _check_id(event.product_id, "order.product_id")
    # a status the daemon does not know (or none) is UNKNOWN, which moves no intent
    assert type(event.status) is OrderStatus, ("order.status", event.status)
    _check_id(event.order_type, "order.order_type", empty_ok=True)
    assert event.side in ("BUY", "SELL"), event.side
    assert type(event.snapshot) is bool
    for name in ORDER_QUANTITIES:
        _check_money(getattr(event, name), False, f"order.{name}")
    count = event.number_of_fills
    assert type(count) is int and count >= 0, f"number_of_fills {count!r} accepted"


def check_events(channel: str, msg: dict[str, Any], events: list[Any]) -> None:
    """Every property an accepted frame's events must have (module docstring)."""
    assert isinstance(events, list)
    assert all(type(event) is EVENT_CLASS[channel] for event in events), events
    if not events:
        return
    _check_event_types(channel, msg)
    for event in events:
        if isinstance(event, TickerEvent):
            _check_ticker(event, msg)
        elif isinstance(event, TradesEvent):
            _check_trades(event, msg, events)
        elif isinstance(event, BookEvent):
            _check_book(event)
        else:
            assert isinstance(event, OrderEvent)
            _check_order(event)


@pytest.mark.parametrize("channel", list(DECODERS))
def test_ex2_decode_events_refuses_or_yields_only_valid_events(corpus, channel):
    """Directly on the decoder: DecodeError is the only exception, and whatever it
    returns passes every property."""
    outcome: Counter[str] = Counter()
    for raw in corpus[channel]:
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            outcome["not JSON"] += 1
            continue
        if not isinstance(msg, dict):
            outcome["not an object"] += 1
            continue
        try:
            events = decode_events(channel, msg)
        except DecodeError as exc:
            assert exc.channel == channel and exc.problem
            outcome["refused"] += 1
            continue
        check_events(channel, msg, events)
        outcome["accepted"] += 1
    print(f"decode_events {channel}: {dict(outcome)}")
    assert outcome["accepted"] > PER_CHANNEL // 10 and outcome["refused"] > PER_CHANNEL // 10


class _Done(Exception):
    """The fake connection has no more frames."""


class _OneFrame:
    """Just what `WsStream._read` uses of a connection: one frame, then the end."""

    def __init__(self, raw: bytes) -> None:
        self.raw: bytes | None = raw
        self.sent: list[str] = []

    async def recv(self, decode: bool = False) -> bytes:
        if self.raw is None:
            raise _Done
        raw, self.raw = self.raw, None
        return raw

    async def send(self, text: str) -> None:
        self.sent.append(text)


def _bad_frames(counter: Any) -> float:
    """`trader_ws_bad_frames_total`, summed over its labels."""
    return float(
        sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))
    )


async def test_ex2_the_stream_counts_every_refused_frame_and_applies_none(corpus):
    """Through the stream's own frame path (JSON parse, channel, sequence, acks, decode):
    no frame ends the stream except a `type: error` frame (a documented reconnect), and
    each is accepted or counted once as bad, yielding nothing."""
    metrics = Metrics()
    subs = [
        Subscription("heartbeats"),
        Subscription("ticker", ("BTC-USD", "ETH-USD")),
        Subscription("market_trades", ("BTC-USD", "ETH-USD")),
        Subscription("level2", ("BTC-USD", "ETH-USD")),
        Subscription("candles", ("BTC-USD", "ETH-USD")),
    ]
    counters = adapter_metrics(metrics)
    stream = WsStream("fuzz", "ws://unused", subs, counters, signer=None, clock=wall_clock)
    table: dict[str, Counter[str]] = {}
    with capture_logs() as logs:
        await _feed(stream, counters, corpus, table)
    assert not [e for e in logs if e["event"] == "ws_frame_decoder_failed"], "a decoder bug"
    assert sum(1 for e in logs if e["event"] == "ws_bad_frame") == sum(
        counts["refused"] for counts in table.values()
    )
    for channel, counts in table.items():
        print(f"stream {channel}: {dict(counts)}")
        assert counts["accepted"] + counts["refused"] == counts["generated"] == PER_CHANNEL
        assert counts["refused"] > 0 and counts["accepted"] > 0, channel


async def _feed(
    stream: WsStream, counters: Any, corpus: dict[str, list[bytes]], table: dict[str, Counter[str]]
) -> None:
    """Each mutant through a fresh `_read` (its own sequence tracker), tallied in `table`."""
    for channel in CHANNELS:
        counts = table[channel] = Counter(generated=len(corpus[channel]))
        for raw in corpus[channel]:
            before = _bad_frames(counters.ws_bad_frames)
            yielded: list[Any] = []
            reconnect = False
            try:
                async for event in stream._read(_OneFrame(raw)):  # type: ignore[arg-type]
                    yielded.append(event)
            except _Done:
                pass
            except _Reconnect as exc:
                assert exc.reason == "error_frame"
                reconnect = True
            refused = _bad_frames(counters.ws_bad_frames) - before
            assert refused in (0, 1), (raw[:300], refused)
            data = [e for e in yielded if not isinstance(e, StreamStatus)]
            if refused or reconnect:
                counts["refused"] += 1
                assert not yielded, (raw[:300], yielded)
                continue
            counts["accepted"] += 1
            msg = orjson.loads(raw)
            if msg["channel"] in EVENT_CLASS:
                check_events(msg["channel"], msg, data)
            else:
                assert not data, (raw[:300], data)
