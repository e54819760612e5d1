"""EX-1 / EX-4: every REST call against the venue, typed Decimal results, paging, params."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from tests.exchange.support import adapter, collect, sample
from tests.sim.test_server_support import open_venue
from trader.core.orders import OrderKind, OrderRequest
from trader.core.products import quantize_price, quantize_size
from trader.core.types import Side
from trader.exchange.coinbase.http import encode_params, parse_error_body
from trader.exchange.coinbase.orders import serialize_order
from trader.exchange.errors import ExchangeHttpError, ReadOnlyError
from trader.exchange.models import OrderAccepted, OrderRejected, StreamStatus
from trader.ops.metrics import Metrics


@pytest.fixture
async def env():
    async with open_venue(trades_per_minute=600) as venue:
        metrics = Metrics()
        async with adapter(venue, metrics=metrics) as exchange:
            yield venue, exchange, metrics


def _limit(cid: str, rules, bid: Decimal, *, post_only: bool = True) -> OrderRequest:
    price = quantize_price(bid * Decimal("0.98"), Side.BUY, rules)
    size = quantize_size(Decimal("20") / price, rules)
    return OrderRequest(
        cid,
        rules.product_id,
        Side.BUY,
        OrderKind.LIMIT_GTC,
        base_size=size,
        limit_price=price,
        post_only=post_only,
    )


async def test_ex1_market_data_calls_are_typed(env):
    _venue, exchange, metrics = env
    products = await exchange.products()
    assert [p.product_id for p in products] == ["BTC-USD", "ETH-USD", "SOL-USD"]
    btc = await exchange.product("BTC-USD")
    assert btc == products[0] and isinstance(btc.base_increment, Decimal)
    assert btc.status == "online" and not btc.trading_disabled
    assert [p.product_id for p in await exchange.products(["ETH-USD"])] == ["ETH-USD"]
    now = int(time.time())
    candles = await exchange.candles("BTC-USD", now - 900 * 60, now)
    assert len(candles) > 349  # paged: more than one request's worth
    starts = [c.start for c in candles]
    assert starts == sorted(set(starts)) and all(s % 60 == 0 for s in starts)
    assert all(c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high for c in candles)
    quotes = await exchange.best_bid_ask(["BTC-USD", "SOL-USD"])
    assert set(quotes) == {"BTC-USD", "SOL-USD"}
    assert quotes["BTC-USD"].bid < quotes["BTC-USD"].ask
    server = await exchange.server_time()
    assert abs(server.epoch - time.time()) < 2 and server.iso.endswith("Z")
    assert sample(metrics, "trader_exchange_requests_total", endpoint="candles", outcome="ok") >= 3


async def test_ex1_public_quotes_without_credentials():
    async with open_venue() as venue, adapter(venue, creds=False) as exchange:
        quotes = await exchange.best_bid_ask(["BTC-USD", "ETH-USD"])
        assert set(quotes) == {"BTC-USD", "ETH-USD"}
        with pytest.raises(ExchangeHttpError) as caught:
            await exchange.accounts()
        assert caught.value.status == 401


async def test_ex1_account_and_fees(env):
    _, exchange, _ = env
    accounts = await exchange.accounts()
    usd = next(a for a in accounts if a.currency == "USD")
    assert usd.available == Decimal("100000") and usd.hold == 0
    fees = await exchange.fee_rates()
    assert fees.maker == Decimal("0.004") and fees.taker == Decimal("0.006")


async def test_ex1_order_lifecycle(env):
    _venue, exchange, _ = env
    rules = await exchange.product("BTC-USD")
    bid = (await exchange.best_bid_ask(["BTC-USD"]))["BTC-USD"].bid
    request = _limit("intent-1", rules, bid)
    preview = await exchange.preview_order(request)
    assert preview.errs == () and preview.base_size == request.base_size
    result = await exchange.create_order(request)
    assert isinstance(result, OrderAccepted) and result.client_order_id == "intent-1"
    order = await exchange.get_order(result.order_id)
    assert order.status == "OPEN" and order.limit_price == request.limit_price
    assert order.base_size == request.base_size and order.post_only and order.side is Side.BUY
    open_orders = await exchange.list_orders(statuses=["OPEN"], product_ids=["BTC-USD"])
    assert [o.order_id for o in open_orders] == [result.order_id]
    cancelled = await exchange.cancel_orders([result.order_id])
    assert cancelled[0].success and cancelled[0].order_id == result.order_id
    assert (await exchange.get_order(result.order_id)).status == "CANCELLED"


async def test_ex1_rejection_from_success_false_body(env):
    _, exchange, _ = env
    rules = await exchange.product("BTC-USD")
    ask = (await exchange.best_bid_ask(["BTC-USD"]))["BTC-USD"].ask
    crossing = OrderRequest(
        "intent-x",
        "BTC-USD",
        Side.BUY,
        OrderKind.LIMIT_GTC,
        base_size=quantize_size(Decimal("0.001"), rules),
        limit_price=quantize_price(ask * Decimal("1.01"), Side.BUY, rules),
        post_only=True,
    )
    result = await exchange.create_order(crossing)
    assert isinstance(result, OrderRejected) and result.http_status == 200
    assert result.reason == "INVALID_LIMIT_PRICE_POST_ONLY"


async def test_ex1_paging_fills_orders_accounts(env):
    _venue, exchange, _ = env
    exchange.rest.page_size = 1
    for i in range(3):
        body = OrderRequest(
            f"mkt-{i}", "ETH-USD", Side.BUY, OrderKind.MARKET_IOC, quote_size=Decimal("50")
        )
        assert isinstance(await exchange.create_order(body), OrderAccepted)
    orders = await exchange.list_orders(product_ids=["ETH-USD"])
    assert sorted(o.client_order_id for o in orders) == ["mkt-0", "mkt-1", "mkt-2"]
    fills = await exchange.fills(product_ids=["ETH-USD"])
    assert len(fills) >= 3 and len({f.trade_id for f in fills}) == len(fills)
    assert all(f.commission > 0 and f.side is Side.BUY for f in fills)
    by_order = await exchange.fills(order_ids=[orders[0].order_id])
    assert {f.order_id for f in by_order} == {orders[0].order_id}
    accounts = await exchange.accounts()
    assert len(accounts) >= 4 and len({a.currency for a in accounts}) == len(accounts)


async def test_ex1_read_only_refuses_order_endpoints_before_io(env):
    venue, _, _ = env
    async with adapter(venue, read_only=True) as exchange:
        request = OrderRequest(
            "ro-1", "BTC-USD", Side.BUY, OrderKind.MARKET_IOC, quote_size=Decimal("10")
        )
        for call in (
            exchange.create_order(request),
            exchange.preview_order(request),
            exchange.create_order_raw(serialize_order(request)),
            exchange.cancel_orders(["x"]),
        ):
            with pytest.raises(ReadOnlyError):
                await call
        assert exchange.http._session is None  # no session was ever opened
    assert venue.engine.orders() == []


async def test_ex1_unknown_product_is_a_definite_http_error(env):
    _, exchange, metrics = env
    with pytest.raises(ExchangeHttpError) as caught:
        await exchange.product("NOPE-USD")
    assert caught.value.status == 404 and caught.value.code == "NOT_FOUND"
    assert (
        sample(
            metrics, "trader_exchange_requests_total", endpoint="product", outcome="client_error"
        )
        == 1
    )


def test_ex1_params_repeat_keys_and_bools_as_strings():
    assert encode_params(
        {"product_ids": ["A", "B"], "flag": True, "off": False, "limit": 5, "none": None}
    ) == [
        ("product_ids", "A"),
        ("product_ids", "B"),
        ("flag", "true"),
        ("off", "false"),
        ("limit", "5"),
    ]


@pytest.mark.parametrize(
    ("status", "body", "code", "message"),
    [
        (
            400,
            b'{"error":"INVALID_ARGUMENT","error_details":"d","message":"m"}',
            "INVALID_ARGUMENT",
            "m",
        ),
        (401, b"Unauthorized\n", "UNAUTHORIZED", "Unauthorized"),
        (429, b"<html><body>429 Too Many Requests</body></html>", "HTTP_429", "html body"),
        (503, b"", "HTTP_503", ""),
        (500, b'["not", "an", "object"]', "HTTP_500", '["not", "an", "object"]'),
    ],
)
def test_ex1_error_bodies_parsed_defensively(status, body, code, message):
    info = parse_error_body(status, body)
    assert (info.code, info.message) == (code, message)


def test_ex1_serialized_body_is_deterministic_and_plain_decimal():
    request = OrderRequest(
        "c-1",
        "BTC-USD",
        Side.SELL,
        OrderKind.LIMIT_GTC,
        base_size=Decimal("1E-8"),
        limit_price=Decimal("65000.10"),
    )
    body = serialize_order(request)
    assert body == serialize_order(request)
    assert body == (
        b'{"client_order_id":"c-1","product_id":"BTC-USD","side":"SELL",'
        b'"order_configuration":{"limit_limit_gtc":{"base_size":"0.00000001",'
        b'"limit_price":"65000.10","post_only":false}}}'
    )
    with pytest.raises(ValueError, match="exactly one"):
        OrderRequest("c-2", "BTC-USD", Side.BUY, OrderKind.MARKET_IOC)


async def test_ex1_tls_with_ca_file(tmp_path):
    async with open_venue(tls=True, credentials_dir=tmp_path) as venue:
        assert venue.rest_url.startswith("https://") and venue.ca_file is not None
        async with adapter(venue, ca_file=str(venue.ca_file)) as exchange:
            assert await exchange.accounts()
            stream = exchange.market_stream(["BTC-USD"])
            events = await collect(
                stream, lambda ev: any(isinstance(e, StreamStatus) and e.state == "up" for e in ev)
            )
            await stream.aclose()
            assert events[-1].state == "up"
