"""`CoinbaseExchange`: the `Exchange` interface over Coinbase Advanced Trade (EX-1..4).

    exchange = CoinbaseExchange(app_config.exchange, credentials, metrics)
    await exchange.clock.measure()        # EX-3, corrects JWT nbf
    ...
    await exchange.close()

`read_only` (from `ExchangeConfig.read_only`) refuses create/preview/cancel with
`ReadOnlyError` before any I/O (OPS-2). Without credentials only public data works;
quotes then come from the public product book.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence

import orjson

from trader.config.app import ExchangeConfig
from trader.config.secrets import Credentials
from trader.core.clock import wall_clock
from trader.core.orders import OrderRequest
from trader.core.types import Candle, FeeRates, ProductRules, Quote
from trader.exchange.clock import ClockSync
from trader.exchange.coinbase import parse
from trader.exchange.coinbase.auth import JwtSigner
from trader.exchange.coinbase.fields import Reader
from trader.exchange.coinbase.http import HttpClient, ssl_context
from trader.exchange.coinbase.orders import order_body, serialize_order
from trader.exchange.coinbase.ratelimit import RetryPolicy
from trader.exchange.coinbase.rest import CoinbaseRest
from trader.exchange.coinbase.ws import Subscription, WsSettings, WsStream
from trader.exchange.errors import ExchangeError, ReadOnlyError
from trader.exchange.interface import Exchange
from trader.exchange.key_standing import KeyStanding
from trader.exchange.metrics import adapter_metrics
from trader.exchange.models import (
    Account,
    CancelResult,
    CreateOrderResult,
    Fill,
    MarketEvent,
    Order,
    PreviewResult,
    ServerTime,
    UserEvent,
)
from trader.ops.metrics import Metrics


class CoinbaseExchange:
    """REST + WebSocket adapter; one aiohttp session, shared rate limits and clock."""

    def __init__(
        self,
        config: ExchangeConfig,
        credentials: Credentials | None,
        metrics: Metrics,
        *,
        retry: RetryPolicy | None = None,
        ws_settings: WsSettings | None = None,
        clock_samples: int = 5,
        clock_interval_s: float = 300.0,
        key_standing: KeyStanding | None = None,
    ) -> None:
        self.config = config
        self.read_only = config.read_only
        self.metrics = adapter_metrics(metrics)
        self.clock = ClockSync(
            self.server_time,
            self.metrics,
            max_offset_ms=config.max_clock_offset_ms,
            samples=clock_samples,
            interval_s=clock_interval_s,
            wall=wall_clock,
        )
        self.signer = (
            JwtSigner(
                credentials.key_name,
                credentials.private_key,
                offset_s=self.clock.signing_offset_s,
                wall=wall_clock,
            )
            if credentials is not None
            else None
        )
        self.http = HttpClient(
            config.rest_url,
            self.signer,
            self.metrics,
            private_per_s=config.rate_limits.private_per_s,
            public_per_s=config.rate_limits.public_per_s,
            timeout_s=config.request_timeout_s,
            ca_file=config.ca_file,
            retry=retry,
            standing=key_standing,
            clock=self.clock,
        )
        self.rest = CoinbaseRest(self.http)
        self.ws_settings = ws_settings or WsSettings()
        self._ssl = ssl_context(config.ca_file)
        self._rng = random.Random()

    def __repr__(self) -> str:
        return f"CoinbaseExchange(rest_url={self.config.rest_url!r}, read_only={self.read_only})"

    async def close(self) -> None:
        await self.clock.stop()
        await self.http.close()

    # --- market data and account -----------------------------------------------------
    async def server_time(self) -> ServerTime:
        return await self.rest.server_time()

    async def products(self, product_ids: Sequence[str] = ()) -> list[ProductRules]:
        return await self.rest.products(product_ids)

    async def product(self, product_id: str) -> ProductRules:
        return await self.rest.product(product_id)

    async def candles(
        self, product_id: str, start: int, end: int, granularity_s: int = 60
    ) -> list[Candle]:
        return await self.rest.candles(product_id, start, end, granularity_s)

    async def listed_since(self, product_id: str, now: float) -> float | None:
        return await self.rest.first_daily_start(product_id, now)

    async def best_bid_ask(self, product_ids: Sequence[str]) -> dict[str, Quote]:
        if self.signer is not None:
            return await self.rest.best_bid_ask(product_ids)
        books = await asyncio.gather(*(self._public_touch(p) for p in product_ids))
        return {q.product_id: q for q in books if q is not None}

    async def _public_touch(self, product_id: str) -> Quote | None:
        data = await self.http.get(
            "/market/product_book",
            "product_book",
            private=False,
            params={"product_id": product_id, "limit": 1},
        )
        return parse.pricebook_quote(Reader("product_book", data).obj("pricebook"))

    async def accounts(self) -> list[Account]:
        return await self.rest.accounts()

    async def fee_rates(self) -> FeeRates:
        return await self.rest.fee_rates()

    # --- orders ------------------------------------------------------------------------
    def _refuse_if_read_only(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"{what} refused: the exchange adapter is read-only")

    def serialize_order(self, request: OrderRequest) -> bytes:
        return serialize_order(request)

    async def create_order(self, request: OrderRequest) -> CreateOrderResult:
        self._refuse_if_read_only("create_order")
        return await self.rest.create_order_raw(serialize_order(request))

    async def create_order_raw(self, body: bytes) -> CreateOrderResult:
        self._refuse_if_read_only("create_order")
        return await self.rest.create_order_raw(body)

    async def preview_order(self, request: OrderRequest) -> PreviewResult:
        self._refuse_if_read_only("preview_order")
        return await self.rest.preview_order(
            orjson.dumps(order_body(request, with_client_id=False))
        )

    async def cancel_orders(self, order_ids: Sequence[str]) -> list[CancelResult]:
        self._refuse_if_read_only("cancel_orders")
        return await self.rest.cancel_orders(order_ids)

    async def get_order(self, order_id: str) -> Order:
        return await self.rest.get_order(order_id)

    async def list_orders(
        self,
        *,
        product_ids: Sequence[str] = (),
        statuses: Sequence[str] = (),
        start: float | None = None,
    ) -> list[Order]:
        return await self.rest.list_orders(product_ids=product_ids, statuses=statuses, start=start)

    async def fills(
        self,
        *,
        order_ids: Sequence[str] = (),
        product_ids: Sequence[str] = (),
        start: float | None = None,
    ) -> list[Fill]:
        return await self.rest.fills(order_ids=order_ids, product_ids=product_ids, start=start)

    # --- streams -----------------------------------------------------------------------
    def market_stream(
        self, product_ids: Sequence[str], *, level2: bool = False
    ) -> AsyncIterator[MarketEvent]:
        products = tuple(product_ids)
        subs = [
            Subscription("heartbeats"),
            Subscription("ticker", products),
            Subscription("market_trades", products),
        ]
        if level2:
            subs.append(Subscription("level2", products))
        return self._stream("market", self.config.ws_market_url, subs)  # type: ignore[return-value]

    def user_stream(self) -> AsyncIterator[UserEvent]:
        if self.signer is None:
            raise ExchangeError("the user stream needs API credentials")
        subs = [Subscription("heartbeats"), Subscription("user")]
        return self._stream("user", self.config.ws_user_url, subs)  # type: ignore[return-value]

    def _stream(self, name: str, url: str, subs: list[Subscription]) -> AsyncIterator[object]:
        stream = WsStream(
            name,
            url,
            subs,
            self.metrics,
            signer=self.signer,
            ssl_context=self._ssl,
            settings=self.ws_settings,
            clock=self.clock.now,
            rng=self._rng,
        )
        return stream.events()


def as_exchange(exchange: CoinbaseExchange) -> Exchange:
    """Typed view (and a static proof, checked by mypy) that CoinbaseExchange is an Exchange."""
    return exchange
