"""PAPER (X-6): live market data from the real adapter, fills made locally, never flattering.

Orders go to the same matching engine the simulated venue runs, fed by exactly the market
events the daemon sees: a market order walks the level-2 book when the feed has one, else
a book built from the touch plus a depth model (each further level `step_bps` away); a
resting limit fills only when trades print through its price (an at-price print must first
consume the size queued ahead); partial fills; maker/taker fees; a latency before each
order reaches the engine. A request goes to the engine as it is (`paper_orders` maps it),
and the engine's answers come back as the exchange models LIVE's adapter produces, with the
values a venue reports. The bytes persisted with an intent are the request's neutral form
(`trader.core.orders.encode_request`); a resend decodes them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Final

from trader.core.clock import Clock
from trader.core.orders import OrderRequest, decode_request, encode_request
from trader.core.types import BookLevel, Candle, FeeRates, ProductRules, Quote
from trader.exchange.errors import ExchangeHttpError
from trader.exchange.interface import MarketData
from trader.exchange.models import (
    Account,
    BookEvent,
    CancelResult,
    CreateOrderResult,
    Fill,
    MarketEvent,
    Order,
    OrderAccepted,
    OrderRejected,
    PreviewResult,
    ServerTime,
    TickerEvent,
    TradesEvent,
    UserEvent,
)
from trader.execution.paper_orders import engine_order, fill_model, order_event, order_model
from trader.execution.paper_streams import applied, queued
from trader.matching import MatchingEngine
from trader.matching.causes import engine_cause
from trader.matching.types import BookUpdate, NewOrder, SimOrder, VenueSetup

ZERO: Final = Decimal(0)  # compared with a Decimal zero: an int 0 is converted at each check
MAX_LEVEL_PRICES: Final = 50_000  # modelled depth kept per (touch, side, tick)


class PaperExchange:
    """`Exchange` for PAPER mode; see the module docstring."""

    read_only = False

    def __init__(
        self,
        inner: MarketData,
        rules: list[ProductRules],
        balances: dict[str, Decimal],
        fees: FeeRates,
        *,
        latency_s: float = 0.05,
        depth_levels: int = 5,
        step_bps: Decimal = Decimal(10),
        clock: Clock,
        seed: int | None = None,
        fill_on_book: bool = True,
    ) -> None:
        self.inner = inner
        # a fresh seed at every start: order and trade ids must never repeat an earlier run's
        # (a backtest passes a fixed one: its reports must be byte-identical run after run)
        seed = secrets.randbits(63) if seed is None else seed
        self.engine = MatchingEngine(
            rules,
            VenueSetup(balances=dict(balances), fees=fees, seed=seed, fill_on_book=fill_on_book),
        )
        self._latency = latency_s
        self._depth = depth_levels
        self._step = step_bps / Decimal(10000)
        self._level_prices: dict[tuple[Decimal, int, Decimal], list[Decimal]] = {}
        self._touches: dict[str, tuple[Decimal, Decimal, Decimal, Decimal, float]] = {}
        self._clock = clock
        self._l2_products: set[str] = set()
        self._books: dict[str, dict[str, dict[Decimal, Decimal]]] = {}
        self._user_queue: asyncio.Queue[UserEvent] = asyncio.Queue()
        self.engine.subscribe(self._on_order)

    # -- market data: delegated, and applied to the paper book on the way ---------------
    async def products(self, product_ids: Sequence[str] = ()) -> list[ProductRules]:
        return await self.inner.products(product_ids)

    async def product(self, product_id: str) -> ProductRules:
        return await self.inner.product(product_id)

    async def candles(
        self, product_id: str, start: int, end: int, granularity_s: int = 60
    ) -> list[Candle]:
        return await self.inner.candles(product_id, start, end, granularity_s)

    async def best_bid_ask(self, product_ids: Sequence[str]) -> dict[str, Quote]:
        quotes = await self.inner.best_bid_ask(product_ids)
        for quote in quotes.values():
            self._apply_touch(
                quote.product_id, quote.bid, quote.bid_size, quote.ask, quote.ask_size, quote.time
            )
        return quotes

    async def server_time(self) -> ServerTime:
        return await self.inner.server_time()

    def market_stream(
        self, product_ids: Sequence[str], *, level2: bool = False
    ) -> AsyncIterator[MarketEvent]:
        inner = self.inner
        return applied(
            lambda: inner.market_stream(product_ids, level2=level2), self.apply_market_event
        )

    def apply_market_event(self, event: MarketEvent) -> None:
        if isinstance(event, TickerEvent):
            self._apply_touch(
                event.product_id, event.bid, event.bid_size, event.ask, event.ask_size, event.time
            )
        elif isinstance(event, TradesEvent) and not event.snapshot:
            for trade in event.trades:
                if self.engine.product(trade.product_id) is not None:
                    self.engine.apply_market(trade.to_trade(), trade.time)
        elif isinstance(event, BookEvent):
            self._flush_touch(event.product_id)
            self._apply_book(event)

    def _apply_touch(
        self,
        product_id: str,
        bid: Decimal,
        bid_size: Decimal,
        ask: Decimal,
        ask_size: Decimal,
        at: float,
    ) -> None:
        if product_id in self._l2_products or self.engine.product(product_id) is None:
            return
        if bid <= ZERO or ask <= ZERO or bid_size <= ZERO or ask_size <= ZERO:
            return
        self._touches[product_id] = (bid, bid_size, ask, ask_size, at)
        if self.engine.working_on(product_id):
            self._flush_touch(product_id)

    def _flush_touch(self, product_id: str) -> None:
        """The product's latest touch into the engine's book. A touch is a whole snapshot
        of the modelled book, so where no own order works only the latest one matters: it
        is applied when an order or a preview meets the book (same book, same time), not at
        every tick. While an own order works every touch is applied at once, so a print
        (which only fills own orders) never meets a stale book."""
        touch = self._touches.pop(product_id, None)
        if touch is None:
            return
        bid, bid_size, ask, ask_size, at = touch
        rules = self.engine.product(product_id)
        assert rules is not None
        bids = self._depth_model(bid, bid_size, -1, rules.quote_increment)
        asks = self._depth_model(ask, ask_size, 1, rules.quote_increment)
        self.engine.apply_market(BookUpdate(product_id, bids, asks, at), at)

    def _depth_model(
        self, touch: Decimal, size: Decimal, direction: int, tick: Decimal
    ) -> tuple[BookLevel, ...]:
        return tuple(BookLevel(price, size) for price in self._depth_prices(touch, direction, tick))

    def _depth_prices(self, touch: Decimal, direction: int, tick: Decimal) -> list[Decimal]:
        """The modelled levels' prices from the touch outwards, kept per touch (prices
        repeat on the tick grid; bounded)."""
        key = (touch, direction, tick)
        prices = self._level_prices.get(key)
        if prices is None:
            prices = [touch]
            for k in range(1, self._depth + 1):
                raw = touch * (1 + direction * self._step * k)
                price = (raw / tick).to_integral_value() * tick
                if price > 0 and price != prices[-1]:
                    prices.append(price)
            if len(self._level_prices) >= MAX_LEVEL_PRICES:
                self._level_prices.clear()
            self._level_prices[key] = prices
        return prices

    def _apply_book(self, event: BookEvent) -> None:
        if self.engine.product(event.product_id) is None:
            return
        self._l2_products.add(event.product_id)
        book = self._books.setdefault(event.product_id, {"bid": {}, "offer": {}})
        if event.snapshot:
            book["bid"].clear()
            book["offer"].clear()
        for side, price, size in event.updates:
            levels = book["bid" if side == "bid" else "offer"]
            if size == 0:
                levels.pop(price, None)
            else:
                levels[price] = size
        bids = tuple(BookLevel(p, s) for p, s in sorted(book["bid"].items(), reverse=True))
        asks = tuple(BookLevel(p, s) for p, s in sorted(book["offer"].items()))
        self.engine.apply_market(
            BookUpdate(event.product_id, bids, asks, self._clock()), self._clock()
        )

    # -- orders: filled locally ----------------------------------------------------------
    def serialize_order(self, request: OrderRequest) -> bytes:
        return encode_request(request)

    async def create_order(self, request: OrderRequest) -> CreateOrderResult:
        await asyncio.sleep(self._latency)
        if not request.product_id:
            return OrderRejected("INVALID_REQUEST", "product_id is required", 400)
        return self._place(engine_order(request))

    async def create_order_raw(self, body: bytes) -> CreateOrderResult:
        try:
            request = decode_request(body)
        except ValueError as exc:
            await asyncio.sleep(self._latency)
            return OrderRejected("INVALID_REQUEST", str(exc), 400)
        return await self.create_order(request)

    def _place(self, new: NewOrder) -> CreateOrderResult:
        self._flush_touch(new.product_id)  # an order meets its own product's book only
        outcome = self.engine.create_order(new, self._clock())
        if outcome.success and outcome.order is not None:
            return OrderAccepted(
                outcome.order.order_id, outcome.order.client_order_id, outcome.order.product_id
            )
        reason = outcome.failure_reason if outcome.error == "" else outcome.error
        return OrderRejected(
            reason,
            outcome.message,
            200,
            outcome.preview_failure_reason,
            engine_cause(reason, outcome.preview_failure_reason),
        )

    async def preview_order(self, request: OrderRequest) -> PreviewResult:
        order = engine_order(request)
        self._flush_touch(order.product_id)
        p = self.engine.preview_order(order, self._clock())
        return PreviewResult(
            p.order_total,
            p.commission_total,
            p.base_size,
            p.quote_size,
            p.best_bid,
            p.best_ask,
            p.slippage,
            p.errs,
            (),
            "",
        )

    async def cancel_orders(self, order_ids: Sequence[str]) -> list[CancelResult]:
        await asyncio.sleep(self._latency)
        results = self.engine.cancel_orders(list(order_ids), self._clock())
        return [
            CancelResult(r.order_id, r.success, r.failure_reason, engine_cause(r.failure_reason))
            for r in results
        ]

    async def get_order(self, order_id: str) -> Order:
        order = self.engine.get_order(order_id)
        if order is None:
            raise ExchangeHttpError(
                "paper/orders/historical", 404, "NOT_FOUND", f"paper venue has no order {order_id}"
            )
        return order_model(order)

    async def list_orders(
        self,
        *,
        product_ids: Sequence[str] = (),
        statuses: Sequence[str] = (),
        start: float | None = None,
    ) -> list[Order]:
        wanted = {s.upper() for s in statuses}
        return [
            order_model(o)
            for o in self.engine.orders()
            if (not product_ids or o.product_id in product_ids)
            and (not wanted or o.status.value in wanted)
            and (start is None or o.created_time >= start)
        ]

    async def fills(
        self,
        *,
        order_ids: Sequence[str] = (),
        product_ids: Sequence[str] = (),
        start: float | None = None,
    ) -> list[Fill]:
        chosen = self.engine.fills_of(order_ids) if order_ids else self.engine.fills()
        return [
            fill_model(f)
            for f in chosen
            if (not product_ids or f.product_id in product_ids)
            and (start is None or f.trade_time >= start)
        ]

    async def accounts(self) -> list[Account]:
        return [
            Account(
                f"paper-{b.currency}",
                b.currency,
                b.available,
                b.hold,
                "ACCOUNT_TYPE_CRYPTO",
                True,
                True,
            )
            for b in self.engine.balances()
        ]

    async def fee_rates(self) -> FeeRates:
        return self.engine.fee_rates()

    def user_stream(self) -> AsyncIterator[UserEvent]:
        return queued(self._user_queue)

    def events_waiting(self) -> bool:
        """Whether own-order events are queued for `drain_events`."""
        return not self._user_queue.empty()

    def drain_events(self) -> list[UserEvent]:
        """The own-order events queued since the last call (a backtest reads them between
        market events instead of streaming)."""
        events: list[UserEvent] = []
        while not self._user_queue.empty():
            events.append(self._user_queue.get_nowait())
        return events

    def _on_order(self, order: SimOrder) -> None:
        self._user_queue.put_nowait(order_event(order))

    async def close(self) -> None:
        await self.inner.close()
