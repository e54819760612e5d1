"""The simulated venue's matching engine (SIM-1): pure, in-memory, deterministic.

Semantics (documented choices):
- Market liquidity comes from `BookUpdate` events (snapshot replaces a side; an update sets
  absolute sizes, 0 removes). Own resting limit orders sit beside it with price-time priority.
- Takers (market, IOC and crossing non-post-only limits) walk the market's levels only; own
  resting orders are never matched against own takers (self-trade prevention). Taken size is
  removed from the engine's copy of the market until the next book update.
- Resting own orders fill only from replayed trades: a BUY at P fills on prints below P, and
  at P only after the market size queued ahead of it at P (size at P when it rested, capped
  by later smaller book sizes) has been consumed by traded size. Fills are at the order's
  price, partial up to the print's size, and pay the maker fee; taker fills pay the taker fee.
- Fees are exact: commission = price × size × rate, never rounded (values carry at most
  quote-decimals + base-decimals + rate-decimals digits, well inside Decimal's 28 digits).
- Holds: a resting BUY holds limit_price × leaves × (1 + taker rate) of quote (the worst-case
  fee, as Coinbase holds size × price plus fee); a resting SELL holds its leaves in base.
  A market BUY by `quote_size` spends that much quote on value and pays the fee on top.
- A market order meeting an empty opposite book is rejected `INVALID_NO_LIQUIDITY`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from trader.core.types import BookLevel, FeeRates, ProductRules, Quote, Side, Trade
from trader.sim.contract import (
    Balance,
    BookUpdate,
    CancelOutcome,
    CreateOutcome,
    MarketEvent,
    NewOrder,
    OrderKind,
    OrderListener,
    OrderStatus,
    PreviewOutcome,
    SimFill,
    SimOrder,
    VenueSetup,
)
from trader.sim.engine.accounts import Accounts
from trader.sim.engine.book import ProductBook
from trader.sim.engine.ids import IdFactory
from trader.sim.engine.matching import consume, plan_takes
from trader.sim.engine.preview import preview
from trader.sim.engine.state_checks import state_rejection
from trader.sim.engine.validation import static_rejection

ZERO = Decimal(0)
IOC_KINDS = (OrderKind.MARKET_IOC, OrderKind.SOR_LIMIT_IOC)
SETTABLE_FLAGS = frozenset(
    {"status", "trading_disabled", "cancel_only", "limit_only", "post_only", "auction_mode"}
)


class MatchingEngine:
    """Implements `trader.sim.contract.Engine`."""

    def __init__(self, products: list[ProductRules], setup: VenueSetup) -> None:
        self._rules = {p.product_id: p for p in products}
        self._books = {p.product_id: ProductBook() for p in products}
        self._fees = setup.fees
        self._ids = IdFactory(setup.seed)
        currencies = {p.base_currency for p in products} | {p.quote_currency for p in products}
        self._accounts = Accounts(dict(setup.balances), currencies)
        self._ledger: list[SimOrder] = []
        self._by_id: dict[str, SimOrder] = {}
        self._by_client_id: dict[str, SimOrder] = {}
        self._fills: list[SimFill] = []
        self._open_count = {p.product_id: 0 for p in products}
        self._resting: set[str] = set()
        self._queue_ahead: dict[str, Decimal] = {}
        self._expiries: list[tuple[float, int, str]] = []
        self._listeners: list[OrderListener] = []
        self._volume = ZERO

    # ---- products -------------------------------------------------------------------------
    def product(self, product_id: str) -> ProductRules | None:
        return self._rules.get(product_id)

    def products(self) -> list[ProductRules]:
        return list(self._rules.values())

    def set_product_flags(self, product_id: str, **flags: Any) -> None:
        unknown = set(flags) - SETTABLE_FLAGS
        if unknown:
            raise ValueError(f"unknown product flags {sorted(unknown)}")
        if product_id not in self._rules:
            raise ValueError(f"unknown product {product_id}")
        self._rules[product_id] = replace(self._rules[product_id], **flags)

    # ---- market -----------------------------------------------------------------------------
    def apply_market(self, event: MarketEvent, now: float) -> None:
        book = self._books.get(event.product_id)
        if book is None:
            raise ValueError(f"market event for unknown product {event.product_id}")
        if isinstance(event, BookUpdate):
            self._apply_book(book, event)
        else:
            self.expire_orders(now)
            self._fill_side(book, Side.BUY, event, now)
            self._fill_side(book, Side.SELL, event, now)

    def _apply_book(self, book: ProductBook, update: BookUpdate) -> None:
        for side, levels in ((Side.BUY, update.bids), (Side.SELL, update.asks)):
            market, own = book.market(side), book.own(side)
            if update.snapshot:
                market.replace(levels)
                touched = list(own.prices)
            else:
                for level in levels:
                    market.set(level.price, level.size)
                touched = [lvl.price for lvl in levels if lvl.price in own.orders]
            for price in touched:
                cap = market.size_at(price)
                for order in own.orders.get(price, ()):
                    self._queue_ahead[order.order_id] = min(self._queue_ahead[order.order_id], cap)
        book.time = update.time

    def _fill_side(self, book: ProductBook, side: Side, trade: Trade, now: float) -> None:
        """Fill own resting orders of `side` that `trade` prints through (or at, past queue)."""
        pool = trade.size
        for price in book.own(side).best_first():
            through = price > trade.price if side is Side.BUY else price < trade.price
            if not through and price != trade.price:
                return
            for order in list(book.own(side).orders.get(price, ())):
                ahead = ZERO if through else self._queue_ahead[order.order_id]
                eaten = min(pool, ahead)
                self._queue_ahead[order.order_id] = ahead - eaten
                pool -= eaten
                size = min(pool, order.leaves_size)
                if size > 0:
                    pool -= size
                    self._fill(order, price, size, "MAKER", now)
                if pool <= 0:
                    return

    # ---- orders -----------------------------------------------------------------------------
    def create_order(self, order: NewOrder, now: float) -> CreateOutcome:
        """SIM-1: validate like Coinbase, then execute. A known client_order_id returns the
        original order's success outcome and creates nothing."""
        known = self._by_client_id.get(order.client_order_id) if order.client_order_id else None
        if known is not None:
            return CreateOutcome(success=True, order=known)
        self.expire_orders(now)
        problem = self._rejection(order, now)
        if problem is not None:
            return problem
        sim = self._accept(order, now)
        self._execute(sim, now)
        return CreateOutcome(success=True, order=sim)

    def preview_order(self, order: NewOrder, now: float) -> PreviewOutcome:
        problem = self._rejection(order, now)
        book = self._books.get(order.product_id)
        return preview(order, self._rules.get(order.product_id), book, self._fees, problem)

    def _rejection(self, order: NewOrder, now: float) -> CreateOutcome | None:
        rules = self._rules.get(order.product_id)
        problem = static_rejection(order, rules)
        if problem is not None or rules is None:
            return problem
        return state_rejection(
            order,
            rules,
            self._books[order.product_id],
            self._fees,
            self._accounts,
            open_count=self._open_count[rules.product_id],
            now=now,
        )

    def _accept(self, order: NewOrder, now: float) -> SimOrder:
        sim = SimOrder(
            order_id=self._ids.next_uuid(),
            client_order_id=order.client_order_id or self._ids.next_uuid().replace("-", ""),
            product_id=order.product_id,
            side=order.side,
            spec=order.spec,
            configuration=order.configuration,
            created_time=now,
        )
        self._ledger.append(sim)
        self._by_id[sim.order_id] = sim
        self._by_client_id[sim.client_order_id] = sim
        return sim

    def _execute(self, sim: SimOrder, now: float) -> None:
        rules, book, spec = self._rules[sim.product_id], self._books[sim.product_id], sim.spec
        if not spec.post_only:
            levels = book.market(sim.side.opposite)
            takes = plan_takes(
                levels,
                sim.side,
                base_size=sim.leaves_size if spec.base_size is not None else None,
                quote_budget=spec.quote_size,
                limit_price=spec.limit_price,
                base_increment=rules.base_increment,
            )
            consume(levels, takes)
            for take in takes:
                self._fill(sim, take.price, take.size, "TAKER", now)
        if sim.status is not OrderStatus.OPEN:
            return
        if spec.quote_size is not None:
            self._finish_quote_market(sim, book, rules)
        elif spec.kind in IOC_KINDS:
            self._finish(sim, OrderStatus.CANCELLED, "IOC remainder cancelled")
        else:
            self._rest(sim, book)

    def _finish_quote_market(self, sim: SimOrder, book: ProductBook, rules: ProductRules) -> None:
        """A quote-sized market BUY is FILLED when what is left cannot buy one increment."""
        left = (sim.spec.quote_size or ZERO) - sim.filled_value
        next_price = book.market_asks.best() or sim.average_filled_price
        done = sim.filled_size > 0 and left < next_price * rules.base_increment
        if done:
            self._finish(sim, OrderStatus.FILLED)
        else:
            self._finish(sim, OrderStatus.CANCELLED, "IOC remainder cancelled")

    def _rest(self, sim: SimOrder, book: ProductBook) -> None:
        price = sim.spec.limit_price
        assert price is not None
        book.own(sim.side).add(price, sim)
        self._queue_ahead[sim.order_id] = book.market(sim.side).size_at(price)
        self._resting.add(sim.order_id)
        self._open_count[sim.product_id] += 1
        if sim.spec.end_time is not None:
            heapq.heappush(self._expiries, (sim.spec.end_time, len(self._ledger), sim.order_id))
        self._sync_hold(sim)
        self._notify(sim)

    def _fill(
        self, sim: SimOrder, price: Decimal, size: Decimal, liquidity: str, now: float
    ) -> None:
        rules = self._rules[sim.product_id]
        value = price * size
        fee = value * (self._fees.maker if liquidity == "MAKER" else self._fees.taker)
        sim.filled_size += size
        sim.filled_value += value
        sim.total_fees += fee
        sim.number_of_fills += 1
        sim.last_fill_time = now
        self._accounts.settle(sim.side, rules.base_currency, rules.quote_currency, size, value, fee)
        self._volume += value
        self._fills.append(
            SimFill(
                entry_id=self._ids.next_uuid(),
                trade_id=self._ids.next_uuid(),
                order_id=sim.order_id,
                product_id=sim.product_id,
                side=sim.side,
                price=price,
                size=size,
                commission=fee,
                liquidity=liquidity,
                trade_time=now,
            )
        )
        if sim.spec.base_size is not None and sim.leaves_size == 0:
            self._finish(sim, OrderStatus.FILLED)
        else:
            self._sync_hold(sim)
            self._notify(sim)

    def _finish(self, sim: SimOrder, status: OrderStatus, reason: str = "") -> None:
        if sim.order_id in self._resting:
            price = sim.spec.limit_price
            assert price is not None
            self._books[sim.product_id].own(sim.side).remove(price, sim)
            self._resting.discard(sim.order_id)
            self._queue_ahead.pop(sim.order_id, None)
            self._open_count[sim.product_id] -= 1
        sim.status = status
        sim.cancel_reason = reason
        self._sync_hold(sim)
        self._notify(sim)

    def _sync_hold(self, sim: SimOrder) -> None:
        """Make the order's hold equal to what its resting remainder needs (0 when done)."""
        rules = self._rules[sim.product_id]
        need, currency = ZERO, rules.base_currency
        if sim.order_id in self._resting and sim.status is OrderStatus.OPEN:
            if sim.side is Side.BUY:
                currency = rules.quote_currency
                need = (sim.spec.limit_price or ZERO) * sim.leaves_size * (1 + self._fees.taker)
            else:
                need = sim.leaves_size
        elif sim.side is Side.BUY:
            currency = rules.quote_currency
        if need != sim.hold:
            self._accounts.change_hold(currency, need - sim.hold)
            sim.hold = need

    def _notify(self, sim: SimOrder) -> None:
        for listener in list(self._listeners):
            listener(sim)

    def cancel_orders(self, order_ids: list[str], now: float) -> list[CancelOutcome]:
        self.expire_orders(now)
        return [self._cancel_one(order_id) for order_id in order_ids]

    def _cancel_one(self, order_id: str) -> CancelOutcome:
        sim = self._by_id.get(order_id)
        if sim is None:
            return CancelOutcome(order_id, False, "UNKNOWN_CANCEL_ORDER")
        if sim.status is OrderStatus.FILLED:
            return CancelOutcome(order_id, False, "ORDER_IS_FULLY_FILLED")
        if sim.status is not OrderStatus.OPEN:
            return CancelOutcome(order_id, False, "DUPLICATE_CANCEL_REQUEST")
        self._finish(sim, OrderStatus.CANCELLED, "User requested cancel")
        return CancelOutcome(order_id, True)

    def expire_orders(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            _, _, order_id = heapq.heappop(self._expiries)
            sim = self._by_id[order_id]
            if sim.status is OrderStatus.OPEN:
                self._finish(sim, OrderStatus.EXPIRED, "GTD end_time reached")

    # ---- reads ------------------------------------------------------------------------------
    def open_products(self) -> list[str]:
        """Products with at least one own order working, in listing order."""
        return [pid for pid, count in self._open_count.items() if count > 0]

    def get_order(self, order_id: str) -> SimOrder | None:
        return self._by_id.get(order_id)

    def orders(self) -> list[SimOrder]:
        return list(self._ledger)

    def fills(self) -> list[SimFill]:
        return list(self._fills)

    def balances(self) -> list[Balance]:
        return self._accounts.balances()

    def fee_rates(self) -> FeeRates:
        return self._fees

    def traded_volume(self) -> Decimal:
        """Sum of own filled value (quote units, all quote currencies added together)."""
        return self._volume

    def quote(self, product_id: str) -> Quote | None:
        book = self._books.get(product_id)
        if book is None:
            return None
        bid, ask = book.best(Side.BUY), book.best(Side.SELL)
        if bid is None or ask is None:
            return None
        bid_size = book.market_bids.size_at(bid) + book.own_bids.size_at(bid)
        ask_size = book.market_asks.size_at(ask) + book.own_asks.size_at(ask)
        return Quote(product_id, bid, bid_size, ask, ask_size, book.time)

    def book(self, product_id: str, depth: int) -> tuple[list[BookLevel], list[BookLevel]]:
        book = self._books.get(product_id)
        if book is None:
            return [], []
        return book.aggregated(Side.BUY, depth), book.aggregated(Side.SELL, depth)

    def subscribe(self, listener: OrderListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe
