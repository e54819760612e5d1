"""EX-2: WebSocket values are checked at decode with the REST parser's rules. Every money
field of every channel refuses negative, zero (where it must be positive), NaN, infinite,
out-of-range and non-string values; sides, product ids and times must be known and
parseable. A frame breaking any rule is dropped whole: a `DecodeError`, counted by the
stream, never an event. A malformed `subscriptions` ack cannot end the stream."""

from __future__ import annotations

import asyncio
import copy
from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiohttp import web

from tests.exchange.support import sample
from trader.config.app import ExchangeConfig
from trader.exchange.coinbase.decode import (
    MAX_ROWS_PER_FRAME,
    DecodeError,
    OversizedFrame,
    decode_events,
)
from trader.exchange.coinbase.exchange import CoinbaseExchange
from trader.exchange.models import TickerEvent
from trader.ops.metrics import Metrics

STAMP = "2026-08-09T21:05:48.298Z"
GOOD: dict[str, dict[str, Any]] = {
    "ticker": {
        "channel": "ticker",
        "timestamp": STAMP,
        "events": [
            {
                "type": "update",
                "tickers": [
                    {
                        "product_id": "BTC-USD",
                        "price": "100.5",
                        "best_bid": "100.4",
                        "best_bid_quantity": "1.5",
                        "best_ask": "100.6",
                        "best_ask_quantity": "0",
                    }
                ],
            }
        ],
    },
    "market_trades": {
        "channel": "market_trades",
        "timestamp": STAMP,
        "events": [
            {
                "type": "update",
                "trades": [
                    {
                        "product_id": "BTC-USD",
                        "trade_id": "t-1",
                        "price": "100.5",
                        "size": "0.25",
                        "side": "BUY",
                        "time": "2026-08-09T21:05:48.167634Z",
                    }
                ],
            }
        ],
    },
    "l2_data": {
        "channel": "l2_data",
        "timestamp": STAMP,
        "events": [
            {
                "type": "update",
                "product_id": "BTC-USD",
                "updates": [{"side": "bid", "price_level": "100.4", "new_quantity": "0"}],
            }
        ],
    },
    "user": {
        "channel": "user",
        "timestamp": STAMP,
        "events": [
            {
                "type": "update",
                "orders": [
                    {
                        "order_id": "o-1",
                        "client_order_id": "c-1",
                        "product_id": "BTC-USD",
                        "order_side": "BUY",
                        "status": "OPEN",
                        "order_type": "limit",
                        "cumulative_quantity": "0",
                        "leaves_quantity": "1",
                        "avg_price": "0",
                        "filled_value": "0",
                        "total_fees": "0",
                        "number_of_fills": "0",
                    }
                ],
            }
        ],
    },
}
ROW = {  # where the row of each channel sits in its frame
    "ticker": ("events", 0, "tickers", 0),
    "market_trades": ("events", 0, "trades", 0),
    "l2_data": ("events", 0, "updates", 0),
    "user": ("events", 0, "orders", 0),
}
POSITIVE = {
    "ticker": ("price", "best_bid", "best_ask"),
    "market_trades": ("price", "size"),
    "l2_data": ("price_level",),
    "user": (),
}
QUANTITY = {
    "ticker": ("best_bid_quantity", "best_ask_quantity"),
    "market_trades": (),
    "l2_data": ("new_quantity",),
    "user": ("cumulative_quantity", "leaves_quantity", "avg_price", "filled_value", "total_fees"),
}
NEVER_MONEY = [
    "-1",
    "-0.0001",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "sNaN",
    "1E+999999999999999999",
    "1e-999",
    "abc",
    "1,5",
    5,
    1.5,
    True,
    [],
    {},
]
TIME_FIELDS = {"ticker": (), "market_trades": ("time",), "l2_data": (), "user": ()}
BAD_TIMES = ["2026-08-09T21:05:nanZ", "2026-08-09T21:05:infZ", "yesterday", 1786316748, "", None]


def _frame(channel: str, field: str, value: Any) -> dict[str, Any]:
    frame = copy.deepcopy(GOOD[channel])
    row: Any = frame
    for step in ROW[channel]:
        row = row[step]
    row[field] = value
    return frame


def test_ex2_the_good_frames_decode():
    for channel, frame in GOOD.items():
        assert decode_events(channel, copy.deepcopy(frame)), channel


def _rows(channel: str, rows: int, events: int = 1) -> dict[str, Any]:
    """The good frame of `channel` with `rows` copies of its row over `events` events."""
    frame = copy.deepcopy(GOOD[channel])
    _, _, key, _ = ROW[channel]
    event = frame["events"][0]
    per_event = rows // events
    frame["events"] = [{**event, key: [event[key][0]] * per_event} for _ in range(events)]
    return frame


@pytest.mark.parametrize("channel", ["ticker", "market_trades"])
@pytest.mark.parametrize("events", [1, 4])
def test_ex2_a_frame_above_the_row_cap_is_refused_unread_and_one_at_it_decodes(channel, events):
    assert len(decode_events(channel, _rows(channel, MAX_ROWS_PER_FRAME, events))) >= events
    with pytest.raises(OversizedFrame) as refused:
        decode_events(channel, _rows(channel, MAX_ROWS_PER_FRAME + events, events))
    assert refused.value.rows == MAX_ROWS_PER_FRAME + events
    big = _rows(channel, MAX_ROWS_PER_FRAME * 20, events)
    _, _, key, _ = ROW[channel]
    big["events"][0][key][0] = {}  # unread: the refusal names the size, not a field
    with pytest.raises(OversizedFrame, match="more than"):
        decode_events(channel, big)


CASES = [
    (channel, field, value)
    for channel in GOOD
    for field in POSITIVE[channel]
    for value in [*NEVER_MONEY, "0", "0.000"]
] + [
    (channel, field, value)
    for channel in GOOD
    for field in QUANTITY[channel]
    for value in NEVER_MONEY
]


@pytest.mark.parametrize(("channel", "field", "value"), CASES, ids=repr)
def test_ex2_bad_money_drops_the_frame(channel, field, value):
    with pytest.raises(DecodeError):
        decode_events(channel, _frame(channel, field, value))


@pytest.mark.parametrize(
    ("channel", "field", "value"),
    [
        ("market_trades", "side", "HOLD"),
        ("market_trades", "side", None),
        ("market_trades", "trade_id", 7),
        ("l2_data", "side", "ask"),
        ("user", "order_side", "buy?"),
        ("user", "order_id", ""),
        ("user", "status", 3),
        ("user", "number_of_fills", "nan"),
        *[(c, "product_id", v) for c in ("ticker", "market_trades", "user") for v in (7, "", None)],
        *[("market_trades", "time", t) for t in BAD_TIMES],
    ],
    ids=repr,
)
def test_ex2_unknown_sides_ids_and_times_drop_the_frame(channel, field, value):
    with pytest.raises(DecodeError):
        decode_events(channel, _frame(channel, field, value))


@pytest.mark.parametrize("stamp", BAD_TIMES, ids=repr)
def test_ex2_a_ticker_frame_with_a_bad_timestamp_is_dropped(stamp):
    frame = copy.deepcopy(GOOD["ticker"])
    frame["timestamp"] = stamp
    with pytest.raises(DecodeError):
        decode_events("ticker", frame)


def test_ex2_a_level2_book_with_a_bad_product_is_dropped():
    frame = copy.deepcopy(GOOD["l2_data"])
    frame["events"][0]["product_id"] = ["BTC-USD"]
    with pytest.raises(DecodeError):
        decode_events("l2_data", frame)


SUBSCRIPTIONS_GARBAGE = [
    '{"channel":"subscriptions","sequence_num":0,"events":5}',
    '{"channel":"subscriptions","sequence_num":1,"events":"abc"}',
    '{"channel":"subscriptions","sequence_num":2,"events":[7, null, {"subscriptions":[1]}]}',
    '{"channel":"subscriptions","sequence_num":3,"events":[{"subscriptions":{"x":1}}]}',
]


async def test_ex2_malformed_frames_never_end_the_stream():
    """Garbage acks and bad values first; the stream stays up and delivers the good
    ticker that follows — the bad values were never applied."""
    good = dict(GOOD["ticker"], sequence_num=9)
    bad = _frame("ticker", "best_bid", "NaN") | {"sequence_num": 8}

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for _ in range(3):
            await ws.receive()
        for text in SUBSCRIPTIONS_GARBAGE:
            await ws.send_str(text)
        await ws.send_str(
            '{"channel":"subscriptions","sequence_num":4,"events":[{"subscriptions":'
            '{"heartbeats":[],"ticker":["BTC-USD"],"market_trades":["BTC-USD"]}}]}'
        )
        await ws.send_str('{"channel":{"x":1},"sequence_num":5}')
        await ws.send_str('{"channel":"ticker","sequence_num":6,"events":[[[[]]]]}')
        await ws.send_str('{"channel":"surprise-' + "x" * 50 + '","sequence_num":7}')
        await ws.send_bytes(orjson.dumps(bad))
        await ws.send_bytes(orjson.dumps(good))
        await ws.receive()
        return ws

    app = web.Application()
    app.router.add_get("/", ws_handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"ws://127.0.0.1:{runner.addresses[0][1]}"
    metrics = Metrics()
    exchange = CoinbaseExchange(ExchangeConfig(ws_market_url=url), None, metrics)
    stream = exchange.market_stream(["BTC-USD"])
    tickers: list[TickerEvent] = []
    try:
        async with asyncio.timeout(5):
            async for event in stream:
                if isinstance(event, TickerEvent):
                    tickers.append(event)
                    break
    finally:
        await stream.aclose()
        await exchange.close()
        await runner.cleanup()
    assert [t.bid for t in tickers] == [Decimal("100.4")]
    assert sample(metrics, "trader_ws_bad_frames_total", stream="market", channel="ticker") == 2
    labels = {
        s.labels["channel"]
        for m in metrics.registry.collect()
        if m.name == "trader_ws_bad_frames"
        for s in m.samples
    }
    assert all(len(label) < 30 for label in labels)  # a frame cannot name its own series
