"""Helpers for adapter tests: a Coinbase adapter pointed at an in-process `SimVenue`, or at
a loopback HTTP server answering fixed bodies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import orjson
from aiohttp import web

from tests.support.venue import throwaway_key_pem
from trader.config.app import ExchangeConfig, RateLimitConfig
from trader.config.secrets import Credentials
from trader.core.orders import OrderKind, OrderRequest
from trader.core.types import Side
from trader.exchange.coinbase.exchange import CoinbaseExchange
from trader.exchange.coinbase.ratelimit import RetryPolicy
from trader.exchange.coinbase.ws import WsSettings
from trader.exchange.key_standing import KeyStanding
from trader.ops.metrics import Metrics
from trader.sim.venue import SimVenue

PREFIX = "/api/v3/brokerage"
FAST_RETRY = RetryPolicy(attempts=6, base_s=0.02, cap_s=0.2, budget_s=5.0)
FAST_WS = WsSettings(watchdog_s=1.5, backoff_base_s=0.05, backoff_cap_s=0.2, open_timeout_s=3.0)


def venue_config(venue: SimVenue, **overrides: Any) -> ExchangeConfig:
    settings: dict[str, Any] = {
        "venue": "sim",
        "read_only": False,
        "rest_url": venue.rest_url,
        "ws_market_url": venue.ws_url,
        "ws_user_url": venue.ws_url,
        "request_timeout_s": 2.0,
        "rate_limits": RateLimitConfig(private_per_s=200, public_per_s=200),
    }
    settings.update(overrides)
    return ExchangeConfig(**settings)


def venue_credentials(venue: SimVenue) -> Credentials:
    return Credentials(venue.credentials.name, venue.credentials.private_pem, "test")


@asynccontextmanager
async def adapter(
    venue: SimVenue,
    *,
    metrics: Metrics | None = None,
    creds: bool | Credentials = True,
    key_standing: KeyStanding | None = None,
    **overrides: Any,
) -> AsyncIterator[CoinbaseExchange]:
    """`creds`: the venue's own key (True), none (False), or the key given."""
    credentials = venue_credentials(venue) if creds is True else creds or None
    exchange = CoinbaseExchange(
        venue_config(venue, **overrides),
        credentials,
        metrics or Metrics(),
        retry=FAST_RETRY,
        ws_settings=FAST_WS,
        key_standing=key_standing,
    )
    try:
        yield exchange
    finally:
        await exchange.close()


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels or None)
    return 0.0 if value is None else value


async def collect(
    stream: AsyncIterator[Any], until: Callable[[list[Any]], bool], timeout: float = 10.0
) -> list[Any]:
    """Events of `stream` until `until(events)` holds (bounded by `timeout`)."""
    events: list[Any] = []
    async with asyncio.timeout(timeout):
        async for event in stream:
            events.append(event)
            if until(events):
                break
    return events


async def resting_buy(exchange: CoinbaseExchange, client_order_id: str) -> OrderRequest:
    """A post-only BTC-USD buy 10 % below the bid, on the product's price grid: it rests."""
    bid = (await exchange.best_bid_ask(["BTC-USD"]))["BTC-USD"].bid
    grid = (await exchange.product("BTC-USD")).quote_increment
    return OrderRequest(
        client_order_id,
        "BTC-USD",
        Side.BUY,
        OrderKind.LIMIT_GTC,
        base_size=Decimal("0.001"),
        limit_price=(bid * Decimal("0.9")).quantize(grid),
        post_only=True,
    )


def answered_by(url: str, metrics: Metrics) -> CoinbaseExchange:
    """The real adapter, signing with a key the loopback server does not check."""
    key = Credentials("organizations/o/apiKeys/k", throwaway_key_pem().decode(), "test")
    return CoinbaseExchange(ExchangeConfig(rest_url=url), key, metrics)


@asynccontextmanager
async def venue_answering(bodies: dict[str, Any]) -> AsyncIterator[str]:
    """A real HTTP server on loopback answering each path with its JSON body (bytes are
    sent as they are: an answer that is no JSON, or not the venue's)."""

    async def handler(request: web.Request) -> web.Response:
        body = bodies[request.path.removeprefix(PREFIX)]
        raw = body if isinstance(body, bytes) else orjson.dumps(body)
        return web.Response(body=raw, content_type="application/json")

    app = web.Application()
    for path in bodies:
        app.router.add_get(PREFIX + path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}{PREFIX}"
    finally:
        await runner.cleanup()
