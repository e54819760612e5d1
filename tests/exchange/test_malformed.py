"""EX-1: malformed payloads raise ExchangeProtocolError naming endpoint and field, are
counted (`outcome="malformed"`), and an unparseable create-order answer is *unknown*."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from aiohttp import web

from tests.exchange.support import sample, venue_answering
from trader.config.app import ExchangeConfig
from trader.core.orders import RejectCause
from trader.exchange.coinbase import parse
from trader.exchange.coinbase.exchange import CoinbaseExchange
from trader.exchange.coinbase.fields import Reader
from trader.exchange.coinbase.http import RawResponse
from trader.exchange.coinbase.rest import classify_create
from trader.exchange.errors import ExchangeProtocolError
from trader.exchange.models import OrderAccepted, OrderRejected, OrderUnknown, TickerEvent
from trader.ops.metrics import Metrics

BODIES = {
    "/time": b'{"iso":"x","epochMillis":"soon"}',
    "/market/products": b'{"products":[{"product_id":"BTC-USD","base_increment":1.5e-8}]}',
    "/market/products/BTC-USD/candles": b"<html>oops</html>",
}


@pytest.mark.parametrize(
    ("call", "endpoint", "field"),
    [
        (lambda ex: ex.server_time(), "time", "epochMillis"),
        (lambda ex: ex.products(), "products", "products[0].base_increment"),
        (lambda ex: ex.candles("BTC-USD", 0, 60), "candles", "<body>"),
    ],
)
async def test_ex1_malformed_payload_names_endpoint_and_field(call, endpoint, field):
    async with venue_answering(BODIES) as url:
        metrics = Metrics()
        exchange = CoinbaseExchange(ExchangeConfig(rest_url=url), None, metrics)
        try:
            with pytest.raises(ExchangeProtocolError) as caught:
                await call(exchange)
        finally:
            await exchange.close()
    assert caught.value.endpoint == endpoint and caught.value.field == field
    assert str(caught.value).startswith(f"{endpoint}: field {field!r}")
    assert (
        sample(metrics, "trader_exchange_requests_total", endpoint=endpoint, outcome="malformed")
        == 1
    )


def test_ex1_missing_field_is_named():
    with pytest.raises(ExchangeProtocolError, match="accounts: field 'available_balance'"):
        parse.account(Reader("accounts", {"uuid": "u", "currency": "USD"}))
    with pytest.raises(ExchangeProtocolError, match="fills: field 'price' is not a decimal"):
        parse.fill(
            Reader(
                "fills",
                {
                    "trade_id": "t",
                    "order_id": "o",
                    "product_id": "p",
                    "side": "BUY",
                    "price": 1.5,
                    "size": "1",
                    "commission": "0",
                    "trade_time": "2026-01-01T00:00:00Z",
                },
            )
        )


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            200,
            b'{"success":true,"success_response":{"order_id":"o-1","client_order_id":"c"}}',
            OrderAccepted("o-1", "c", ""),
        ),
        (200, b'{"success":true,"order_id":"o-2"}', OrderAccepted("o-2", "", "")),
        (
            200,
            b'{"success":true,"success_response":{}}',
            OrderUnknown("create_order success without order_id"),
        ),
        (200, b"<html>", OrderUnknown("unparseable create_order response")),
        (200, b'{"order_id":"o-3"}', OrderUnknown("create_order response without success flag")),
        (
            200,
            b'{"success":false,"failure_reason":"UNKNOWN_FAILURE_REASON","error_response":'
            b'{"error":"INSUFFICIENT_FUND","message":"m","new_order_failure_reason":'
            b'"UNKNOWN_FAILURE_REASON","preview_failure_reason":"PREVIEW_INSUFFICIENT_FUND"}}',
            OrderRejected(
                "INSUFFICIENT_FUND",
                "m",
                200,
                "PREVIEW_INSUFFICIENT_FUND",
                RejectCause.INSUFFICIENT_FUNDS,
            ),
        ),
        (
            400,
            b'{"error":"INVALID_ARGUMENT","message":"bad"}',
            OrderRejected("INVALID_ARGUMENT", "bad", 400),
        ),
        (429, b"<html>slow down</html>", OrderUnknown("HTTP 429")),
        (
            429,
            b'{"error":"RATE_LIMIT_EXCEEDED","message":"slow"}',
            OrderUnknown("HTTP 429 RATE_LIMIT_EXCEEDED"),
        ),
        (408, b"", OrderUnknown("HTTP 408")),
        (502, b"<html>bad gateway</html>", OrderUnknown("HTTP 502")),
    ],
)
def test_x1_create_order_answers_classified(status, body, expected):
    assert classify_create(RawResponse(status, body)) == expected


TICKER = (
    '{"channel":"ticker","client_id":"","timestamp":"2026-08-09T21:05:48.298Z",'
    '"sequence_num":%d,"events":[{"type":"update","tickers":[{"type":"ticker",'
    '"product_id":"BTC-USD","price":"1","best_bid":"1","best_ask":"2"%s}]}]}'
)


async def test_ex2_bad_frames_are_counted_and_skipped():
    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for _ in range(3):  # heartbeats, ticker, market_trades subscriptions
            await ws.receive()
        await ws.send_str(
            '{"channel":"subscriptions","sequence_num":0,"events":[{'
            '"subscriptions":{"heartbeats":[],"ticker":["BTC-USD"],'
            '"market_trades":["BTC-USD"]}}]}'
        )
        await ws.send_str("not json {")
        await ws.send_str(TICKER % (1, ""))  # sizes missing
        await ws.send_str(TICKER % (2, ',"best_bid_quantity":"3","best_ask_quantity":"4"'))
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
    try:
        events = []
        async with asyncio.timeout(5):
            async for event in stream:
                events.append(event)
                if isinstance(event, TickerEvent):
                    break
    finally:
        await stream.aclose()
        await exchange.close()
        await runner.cleanup()
    assert events[-1].bid_size == Decimal(3)
    assert sample(metrics, "trader_ws_bad_frames_total", stream="market", channel="<unparsed>") == 1
    assert sample(metrics, "trader_ws_bad_frames_total", stream="market", channel="ticker") == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"epochMillis": "soon"}, "epochMillis"),
        ({"epochMillis": True}, "epochMillis"),
        ({"epochMillis": 1.7e12}, "epochMillis"),
        ({"epochMillis": "NaN"}, "epochMillis"),
        ({"epochMillis": "-1700000000000"}, "epochMillis"),
        ({"epochMillis": "99999999999999999999"}, "epochMillis"),
        ({"epochSeconds": "Infinity"}, "epochSeconds"),
        ({"epochSeconds": "0"}, "epochSeconds"),
        ({"epochSeconds": "1e30"}, "epochSeconds"),
        ({"epochSeconds": []}, "epochSeconds"),
        ({"iso": "2026-01-01T00:00:00Z"}, "epochSeconds"),
        ({"epochMillis": None, "epochSeconds": None}, "epochSeconds"),
    ],
)
def test_ex3_a_time_answer_that_is_no_clock_reading_is_refused_naming_the_field(payload, field):
    with pytest.raises(ExchangeProtocolError) as caught:
        parse.server_time(Reader("time", payload))
    assert caught.value.field == field


@pytest.mark.parametrize(
    "payload",
    [
        {"epochMillis": "1700000000500"},
        {"epochMillis": 1700000000500},
        {"epochMillis": "", "epochSeconds": "1700000000.5"},
        {"epochSeconds": 1700000000},
    ],
)
def test_ex3_a_time_answer_in_either_field_is_read(payload):
    assert parse.server_time(Reader("time", payload)).epoch == pytest.approx(1700000000.5, abs=0.5)
