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
"""

from __future__ import annotations

import copy
import gzip
import math
import random
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from structlog.testing import capture_logs

from trader.core.types import Side
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
from trader.sim.contract import OrderKind, OrderSpec, OrderStatus, SimOrder
from trader.sim.server.encode import go_time_ns, rfc3339_ns
from trader.sim.server.encode_orders import user_order_json
from trader.sim.server.ws_channels import heartbeat_events, ticker_events, ticker_row, user_events

SEED = 20260809
PER_CHANNEL = 3000
MAX_SEED_BYTES = 4096
SEEDS_PER_CHANNEL = 8
CAPTURE = "coinbase-ws-capture-2026/advanced-trade-btc-eth.jsonl.gz"
CHANNELS = ("ticker", "market_trades", "l2_data", "user", "candles", "heartbeats", "subscriptions")
EVENT_CLASS = {
    "ticker": TickerEvent,
    "market_trades": TradesEvent,
    "l2_data": BookEvent,
    "user": OrderEvent,
}
CONTAINERS = {"events", "updates", "tickers", "trades", "candles", "orders", "subscriptions"}
ENUM_KEYS = {"side", "order_side", "type", "status", "order_type", "channel"}
TIME_KEYS = {"timestamp", "time", "event_time", "creation_time", "end_time", "current_time"}
RAW = "\x00raw\x00"  # a placeholder string replaced by a raw (non-JSON) token after dumping

HOSTILE: list[Any] = [
    -1,
    0,
    -0.0,
    1.5,
    -1.5e300,
    2**63 - 1,
    -(2**63),
    "NaN",
    "Infinity",
    "-Infinity",
    "1E+999999999999999999",
    "",
    None,
    [],
    {},
    [None],
    {"value": "1"},
    [["BTC-USD"]],
    True,
    False,
    "x" * 5000,
    "\u0000",
    "\ud7ff\u202e",
    "BUY",
    "offer",
    "snapshot",
]
BAD_MONEY = [
    "-1",
    "-0.01",
    "0",
    "0.0",
    "-0",
    "0E+999999999999999999",
    "NaN",
    "nan",
    "sNaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1E+999999999999999999",
    "1E-999999999999999999",
    "1e21",
    "1e-21",
    "1e20",
    "1,5",
    "1_000.5",
    " 65000.5",
    "65000.5 ",
    "0x10",
    "١٢٣",
    "1e",
    "--1",
    "+1",
    "9" * 5000,
    "0." + "0" * 30 + "1",
    1,
    1.5,
    0,
    -1,
]
BAD_TIMES = [
    "",
    "yesterday",
    "2026-08-09",
    "2026-08-09T21:05:48",
    "2026-08-09T21:05:48.298",
    "2026-08-09T24:05:48.298Z",
    "2026-08-09T29:05:48.298Z",
    "2026-08-09T21:60:48.298Z",
    "2026-08-09T21:99:48.298Z",
    "2026-08-09T21:05:61.000Z",
    "2026-08-09T21:05:60.5Z",
    "2026-08-09T21:05:nanZ",
    "2026-08-09T21:05:infZ",
    "2026-08-09T21:05:4e1Z",
    "2026-08-09T21:05:+5.0Z",
    "2026-08-09T21:05: 5.0Z",
    "2026-08-09T21:05:1_0.0Z",
    "2026-13-09T21:05:48.298Z",
    "2026-00-09T21:05:48.298Z",
    "2026-02-30T21:05:48.298Z",
    "2026-08-32T21:05:48.298Z",
    "2026-08-00T21:05:48.298Z",
    "+026-08-09T21:05:48.298Z",
    "-026-08-09T21:05:48.298Z",
    "20_6-08-09T21:05:48.298Z",
    "2026-8-9T21:5:48.298Z",
    "2026-08-09t21:05:48.298z",
    "2026-08-09 21:05:48.298Z",
    "2026-08-09T21:05:48.298+25:00",
    "2026-08-09T21:05:48.298+02:00",
    "2026-08-09T21:05:48.2981234567891234Z",
    "9999-12-31T23:59:59.999999999Z",
    "0001-01-01T00:00:00Z",
    "١٢٣٤-08-09T21:05:48.298Z",
    1786309548,
    1786309548.5,
    None,
    [],
]
UNKNOWN_ENUMS = [
    "",
    "buy",
    "BUY ",
    "HOLD",
    "SELL\u0000",
    "ask",
    "bids",
    "Bid",
    "SNAPSHOT",
    "snapshot ",
    "delta",
    "UPDATE",
    "UNKNOWN_ORDER_STATUS",
    "error",
    7,
    None,
    True,
    ["BUY"],
]
CONTAINER_SWAPS: list[Any] = [
    None,
    "",
    "events",
    0,
    1,
    True,
    {},
    {"0": {}},
    [],
    [None],
    [1, 2],
    ["x"],
    [[]],
    [[[[]]]],
    [{}],
    [{"type": "update"}],
]
RAW_TOKENS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1E+999999999999999999",
    "1e400",
    "-1e400",
    "-0",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "0x10",
    "01",
    "1.",
    ".5",
    "+1",
    '"\\ud800"',
    '"\\u0000"',
    "undefined",
    "'single'",
]
RFC3339_SHAPE = re.compile(r"(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}):60(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")

Where = tuple[str | int, ...]


# --- seed frames ---------------------------------------------------------------------------


def _sim_order(status: OrderStatus, filled: str, fills: int, kind: OrderKind) -> SimOrder:
    spec = OrderSpec(
        kind=kind,
        base_size=Decimal("0.5"),
        limit_price=None if kind is OrderKind.MARKET_IOC else Decimal("65083.66"),
        post_only=kind is OrderKind.LIMIT_GTC,
    )
    return SimOrder(
        order_id=f"sim-{status.value.lower()}-{fills}",
        client_order_id=f"trader-{fills}",
        product_id="BTC-USD",
        side=Side.SELL if fills % 2 else Side.BUY,
        spec=spec,
        configuration={kind.value: {"base_size": "0.5"}},
        created_time=1786309548.25,
        status=status,
        filled_size=Decimal(filled),
        filled_value=Decimal(filled) * Decimal("65083.66"),
        total_fees=Decimal(filled) * Decimal("65083.66") * Decimal("0.006"),
        number_of_fills=fills,
    )


def _envelope(channel: str, events: Any, seq: int) -> dict[str, Any]:
    """The sim's envelope (`ws_session._frame`): channel, timestamp, sequence_num, events."""
    stamp = rfc3339_ns(1786309548_298000000 + seq * 1_000_000)
    frame = {"channel": channel, "timestamp": stamp, "sequence_num": seq, "events": events}
    parsed: dict[str, Any] = orjson.loads(orjson.dumps(frame))
    return parsed


def _sim_frames() -> dict[str, list[dict[str, Any]]]:
    orders = [
        _sim_order(OrderStatus.OPEN, "0", 0, OrderKind.LIMIT_GTC),
        _sim_order(OrderStatus.OPEN, "0.2", 1, OrderKind.LIMIT_GTC),
        _sim_order(OrderStatus.FILLED, "0.5", 3, OrderKind.MARKET_IOC),
        _sim_order(OrderStatus.CANCELLED, "0", 0, OrderKind.LIMIT_GTD),
    ]
    rows = [user_order_json(order, "portfolio-1") for order in orders]
    stats = (Decimal("2867.5"), Decimal("64675.22"), Decimal("65252.99"), Decimal("0.09"))
    return {
        "user": [
            _envelope("user", user_events("snapshot", rows[:2]), 1),
            _envelope("user", user_events("update", rows[2:3]), 2),
            _envelope("user", user_events("update", rows[3:]), 3),
            _envelope("user", user_events("snapshot", []), 4),
        ],
        "ticker": [
            _envelope(
                "ticker",
                ticker_events("update", [ticker_row("BTC-USD", Decimal("65086.18"), stats, None)]),
                5,
            )
        ],
        "heartbeats": [
            _envelope("heartbeats", heartbeat_events(go_time_ns(1786309548_854840045, 41.2), 41), 6)
        ],
    }


def load_seeds(shared_data: Path) -> dict[str, list[dict[str, Any]]]:
    """Up to SEEDS_PER_CHANNEL small captured frames per channel, plus the sim's frames."""
    rng = random.Random(SEED)
    by_channel: dict[str, list[dict[str, Any]]] = {channel: [] for channel in CHANNELS}
    with gzip.open(shared_data / CAPTURE, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = orjson.loads(line)
            if record["t"] == "recv" and len(record["data"]) <= MAX_SEED_BYTES:
                frame = orjson.loads(record["data"])
                by_channel[frame["channel"]].append(frame)
    for channel, frames in by_channel.items():
        if len(frames) > SEEDS_PER_CHANNEL:
            by_channel[channel] = rng.sample(frames, SEEDS_PER_CHANNEL)
    for channel, frames in _sim_frames().items():
        by_channel[channel].extend(frames)
    assert all(by_channel.values()), {c: len(f) for c, f in by_channel.items()}
    return by_channel


def build_corpus(seeds: dict[str, list[dict[str, Any]]]) -> dict[str, list[bytes]]:
    rng = random.Random(SEED)
    return {channel: list(mutants(rng, seeds[channel], PER_CHANNEL)) for channel in CHANNELS}


# --- mutation ------------------------------------------------------------------------------


def _paths(node: Any, prefix: Where = ()) -> Iterator[tuple[Where, Any]]:
    """Every (path, value) below `node` (the root itself excluded)."""
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        path = (*prefix, key)
        yield path, value
        yield from _paths(value, path)


def _parent(root: Any, path: Where) -> Any:
    node = root
    for step in path[:-1]:
        node = node[step]
    return node


def _set(root: Any, path: Where, value: Any) -> None:
    _parent(root, path)[path[-1]] = value


def _delete(root: Any, path: Where) -> None:
    del _parent(root, path)[path[-1]]


def _pick(rng: random.Random, frame: Any, want: Any = None) -> Where | None:
    found = [path for path, value in _paths(frame) if want is None or want(path, value)]
    return rng.choice(found) if found else None


def _is_money(path: Where, value: Any) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"-?\d+(\.\d+)?", value))


def _corrupt_text(rng: random.Random, text: str) -> str:
    if not text:
        return rng.choice(["0", "Z", "\u0000"])
    index = rng.randrange(len(text))
    junk = rng.choice("0123456789:-.TZ +eE_xn\u0663\u00e9")
    if rng.random() < 0.5:
        return text[:index] + junk + text[index + 1 :]
    return (
        text[:index] + text[index + 1 :]
        if rng.random() < 0.5
        else text[:index] + junk + text[index:]
    )


def _mutate_tree(rng: random.Random, frame: dict[str, Any]) -> str:
    """One structural mutation in place; returns its kind."""
    kind = rng.choice(["value", "money", "time", "enum", "delete", "container", "text", "raw"])
    if kind == "money":
        path = _pick(rng, frame, _is_money)
        if path is not None:
            _set(frame, path, rng.choice(BAD_MONEY))
            return kind
        kind = "value"
    if kind == "time":
        path = _pick(rng, frame, lambda p, v: p[-1] in TIME_KEYS)
        if path is not None:
            value = _parent(frame, path)[path[-1]]
            bad = (
                _corrupt_text(rng, value) if isinstance(value, str) and rng.random() < 0.5 else None
            )
            _set(frame, path, bad if bad is not None else rng.choice(BAD_TIMES))
            return kind
        kind = "value"
    if kind == "enum":
        path = _pick(rng, frame, lambda p, v: p[-1] in ENUM_KEYS)
        if path is not None:
            _set(frame, path, rng.choice(UNKNOWN_ENUMS))
            return kind
        kind = "value"
    if kind == "container":
        path = _pick(rng, frame, lambda p, v: p[-1] in CONTAINERS)
        if path is not None:
            _set(frame, path, copy.deepcopy(rng.choice(CONTAINER_SWAPS)))
            return kind
        kind = "value"
    if kind == "text":
        path = _pick(rng, frame, lambda p, v: isinstance(v, str))
        if path is not None:
            _set(frame, path, _corrupt_text(rng, _parent(frame, path)[path[-1]]))
            return kind
        kind = "value"
    path = _pick(rng, frame)
    if path is None:  # an empty frame: add junk at the top
        frame[rng.choice(["events", "channel", "x"])] = copy.deepcopy(rng.choice(HOSTILE))
        return "value"
    if kind == "delete" and isinstance(path[-1], str):
        _delete(frame, path)
        return kind
    if kind == "raw":
        _set(frame, path, RAW)
        return kind
    _set(frame, path, copy.deepcopy(rng.choice(HOSTILE)))
    return "value"


def _dump(rng: random.Random, frame: dict[str, Any]) -> bytes:
    raw = orjson.dumps(frame)
    placeholder = orjson.dumps(RAW)
    while placeholder in raw:
        raw = raw.replace(placeholder, rng.choice(RAW_TOKENS).encode(), 1)
    return raw


def _mutate_bytes(rng: random.Random, raw: bytes) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:  # truncated JSON
        return raw[: rng.randrange(len(raw))]
    index = rng.randrange(len(raw))
    if choice == 1:  # one byte changed
        return raw[:index] + bytes([rng.randrange(256)]) + raw[index + 1 :]
    if choice == 2:  # invalid UTF-8 or a stray structural character inserted
        return raw[:index] + rng.choice([b"\xff", b"\xc3", b"{", b"]", b",", b'"']) + raw[index:]
    return raw + rng.choice([b"}", b" x", b"\x00", b"[]"])  # trailing garbage


def mutants(rng: random.Random, frames: list[dict[str, Any]], count: int) -> Iterator[bytes]:
    """`count` mutated encodings of `frames` (1-3 structural mutations, sometimes bytes)."""
    for _ in range(count):
        frame = copy.deepcopy(rng.choice(frames))
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            _mutate_tree(rng, frame)
        raw = _dump(rng, frame)
        if raw and rng.random() < 0.15:
            raw = _mutate_bytes(rng, raw)
        yield raw


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


def check_events(channel: str, msg: dict[str, Any], events: list[Any]) -> None:
    """Every property an accepted frame's events must have (module docstring)."""
    assert isinstance(events, list)
    assert all(type(event) is EVENT_CLASS[channel] for event in events), events
    if not events:
        return
    _check_event_types(channel, msg)
    for event in events:
        if isinstance(event, TickerEvent):
            _check_id(event.product_id, "ticker.product_id")
            for name in ("price", "bid", "ask"):
                _check_money(getattr(event, name), True, f"ticker.{name}")
            for name in ("bid_size", "ask_size"):
                _check_money(getattr(event, name), False, f"ticker.{name}")
            _check_time(event.time, msg["timestamp"], "ticker.timestamp")
        elif isinstance(event, TradesEvent):
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
        elif isinstance(event, BookEvent):
            _check_id(event.product_id, "book.product_id")
            assert type(event.snapshot) is bool
            for side, price, size in event.updates:
                assert side in ("bid", "offer"), side
                _check_money(price, True, "book.price_level")
                _check_money(size, False, "book.new_quantity")
        else:
            assert isinstance(event, OrderEvent)
            _check_id(event.order_id, "order.order_id")
            _check_id(event.client_order_id, "order.client_order_id", empty_ok=True)
            _check_id(event.product_id, "order.product_id")
            _check_id(event.status, "order.status", empty_ok=True)
            _check_id(event.order_type, "order.order_type", empty_ok=True)
            assert event.side in ("BUY", "SELL"), event.side
            assert type(event.snapshot) is bool
            for name in (
                "cumulative_quantity",
                "leaves_quantity",
                "avg_price",
                "filled_value",
                "total_fees",
            ):
                _check_money(getattr(event, name), False, f"order.{name}")
            count = event.number_of_fills
            assert type(count) is int and count >= 0, f"number_of_fills {count!r} accepted"


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
    stream = WsStream("fuzz", "ws://unused", subs, counters, signer=None)
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
