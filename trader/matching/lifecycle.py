"""Order mechanics of the matching engine (SIM-1): accepting, taking, resting, arming
stops, filling, finishing and holds. `MatchingEngine` (engine.py) adds the public API; the
semantics are documented there."""

from __future__ import annotations

import heapq
from decimal import Decimal
from typing import Final

from trader.core.orders import BRACKET_KINDS, IOC_KINDS, STOP_KINDS, OrderKind, OrderStatus
from trader.core.types import ProductRules, Side, Trade
from trader.matching.accounts import Accounts
from trader.matching.book import ProductBook
from trader.matching.ids import IdFactory
from trader.matching.matching import consume, plan_takes, total_size
from trader.matching.stops import StopBook, bracket_stop_limit
from trader.matching.types import (
    TRIGGER_DONE,
    TRIGGER_PENDING,
    BookUpdate,
    NewOrder,
    OrderListener,
    SimFill,
    SimOrder,
    VenueSetup,
)

ZERO: Final = Decimal(0)


class OrderLifecycle:
    """The engine's state and the internal steps of an order's life."""

    def __init__(self, products: list[ProductRules], setup: VenueSetup) -> None:
        self._rules = {p.product_id: p for p in products}
        self._delisted: set[str] = set()  # products the venue lists no more (their rules kept)
        self._books = {p.product_id: ProductBook() for p in products}
        self._fees = setup.fees
        self._fill_on_book = setup.fill_on_book
        self._ids = IdFactory(setup.seed)
        currencies = {p.base_currency for p in products} | {p.quote_currency for p in products}
        self._accounts = Accounts(dict(setup.balances), currencies)
        self._ledger: list[SimOrder] = []
        self._by_id: dict[str, SimOrder] = {}
        self._by_client_id: dict[str, SimOrder] = {}
        self._fills: list[SimFill] = []
        self._fill_rows: dict[str, list[int]] = {}  # order id -> its rows of `_fills`
        self._working: dict[str, set[str]] = {p.product_id: set() for p in products}
        self._resting: dict[str, Decimal] = {}  # order id -> the price it rests at
        self._queue_ahead: dict[str, Decimal] = {}
        self._stops = StopBook()
        self._last_price: dict[str, Decimal] = {}
        self._expiries: list[tuple[float, int, str]] = []
        self._listeners: list[OrderListener] = []
        self._volume = ZERO

    def _apply_book(self, book: ProductBook, update: BookUpdate, now: float) -> None:
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
        if self._fill_on_book:
            self._fill_crossed(book, Side.BUY, now)
            self._fill_crossed(book, Side.SELL, now)

    def _fill_crossed(self, book: ProductBook, side: Side, now: float) -> None:
        """Own resting orders of `side` that the market's opposite levels reach (an ask at
        or below an own bid) fill against them, best first: at the order's limit as maker,
        the market size they meet consumed — so the touch is never crossed nor locked."""
        own, market = book.own(side), book.market(side.opposite)
        while True:
            limit, level = own.best(), market.best()
            if limit is None or level is None:
                return
            reached = level <= limit if side is Side.BUY else level >= limit
            if not reached:
                return
            order = own.orders[limit][0]
            available = market.size_at(level)
            size = min(order.leaves_size, available)
            if size <= ZERO:
                return
            market.set(level, available - size)
            self._fill(order, limit, size, "MAKER", now)

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
        if order.spec.kind in STOP_KINDS | BRACKET_KINDS:
            sim.trigger_status = TRIGGER_PENDING
        self._ledger.append(sim)
        self._by_id[sim.order_id] = sim
        self._by_client_id[sim.client_order_id] = sim
        if order.spec.end_time is not None:
            heapq.heappush(self._expiries, (order.spec.end_time, len(self._ledger), sim.order_id))
        return sim

    def _execute(self, sim: SimOrder, now: float) -> None:
        spec, book = sim.spec, self._books[sim.product_id]
        if spec.kind in STOP_KINDS and sim.trigger_status == TRIGGER_PENDING:
            self._arm(sim)
            return
        if spec.kind is OrderKind.LIMIT_FOK:
            self._fill_or_kill(sim, now)
            return
        self._take(sim, now)
        if sim.status is not OrderStatus.OPEN:
            return
        if spec.quote_size is not None:
            self._finish_quote_market(sim, book, self._rules[sim.product_id])
        elif spec.kind in IOC_KINDS:
            self._finish(sim, OrderStatus.CANCELLED, "IOC remainder cancelled")
        else:
            self._rest(sim, book)
            if sim.trigger_status == TRIGGER_PENDING:
                self._stops.arm(sim)

    def _take(self, sim: SimOrder, now: float) -> None:
        """Take what the market offers within the order's limit (post-only takes nothing)."""
        if sim.spec.post_only:
            return
        levels = self._books[sim.product_id].market(sim.side.opposite)
        takes = plan_takes(
            levels,
            sim.side,
            base_size=sim.leaves_size if sim.spec.base_size is not None else None,
            quote_budget=sim.spec.quote_size,
            limit_price=sim.limit_price,
            base_increment=self._rules[sim.product_id].base_increment,
        )
        consume(levels, takes)
        for take in takes:
            self._fill(sim, take.price, take.size, "TAKER", now)

    def _fill_or_kill(self, sim: SimOrder, now: float) -> None:
        """All of it at once within the limit, or nothing (CANCELLED)."""
        levels = self._books[sim.product_id].market(sim.side.opposite)
        takes = plan_takes(
            levels,
            sim.side,
            base_size=sim.leaves_size,
            quote_budget=None,
            limit_price=sim.limit_price,
            base_increment=self._rules[sim.product_id].base_increment,
        )
        if total_size(takes) < sim.leaves_size:
            self._finish(sim, OrderStatus.CANCELLED, "FOK order could not be filled in full")
            return
        consume(levels, takes)
        for take in takes:
            self._fill(sim, take.price, take.size, "TAKER", now)

    def _finish_quote_market(self, sim: SimOrder, book: ProductBook, rules: ProductRules) -> None:
        """A quote-sized market BUY is FILLED when what is left cannot buy one increment."""
        left = (sim.spec.quote_size or ZERO) - sim.filled_value
        next_price = book.market_asks.best() or sim.average_filled_price
        done = sim.filled_size > 0 and left < next_price * rules.base_increment
        if done:
            self._finish(sim, OrderStatus.FILLED)
        else:
            self._finish(sim, OrderStatus.CANCELLED, "IOC remainder cancelled")

    def _arm(self, sim: SimOrder) -> None:
        """A stop-limit waits off the book for its stop, its funds held."""
        self._stops.arm(sim)
        self._working[sim.product_id].add(sim.order_id)
        self._sync_hold(sim)
        self._notify(sim)

    def _trigger(self, sim: SimOrder, now: float) -> None:
        """The stop fired: work as a limit (a bracket at its stop-loss limit instead)."""
        sim.trigger_status = TRIGGER_DONE
        if sim.spec.kind in BRACKET_KINDS and sim.spec.stop_trigger_price is not None:
            self._unrest(sim)
            tick = self._rules[sim.product_id].quote_increment
            sim.work_price = bracket_stop_limit(sim.spec.stop_trigger_price, sim.side, tick)
        self._execute(sim, now)

    def _rest(self, sim: SimOrder, book: ProductBook) -> None:
        price = sim.limit_price
        assert price is not None
        book.own(sim.side).add(price, sim)
        self._queue_ahead[sim.order_id] = book.market(sim.side).size_at(price)
        self._resting[sim.order_id] = price
        self._working[sim.product_id].add(sim.order_id)
        self._sync_hold(sim)
        self._notify(sim)

    def _unrest(self, sim: SimOrder) -> None:
        """Take the order off the book (it keeps working unless finished)."""
        price = self._resting.pop(sim.order_id, None)
        if price is not None:
            self._books[sim.product_id].own(sim.side).remove(price, sim)
            self._queue_ahead.pop(sim.order_id, None)

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
        self._fill_rows.setdefault(sim.order_id, []).append(len(self._fills))
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
        self._unrest(sim)
        self._stops.disarm(sim)
        self._working[sim.product_id].discard(sim.order_id)
        sim.status = status
        sim.cancel_reason = reason
        self._sync_hold(sim)
        self._notify(sim)

    def _sync_hold(self, sim: SimOrder) -> None:
        """Make the order's hold equal to what its working remainder needs (0 when done)."""
        rules = self._rules[sim.product_id]
        buy = sim.side is Side.BUY
        currency = rules.quote_currency if buy else rules.base_currency
        need = ZERO
        if sim.status is OrderStatus.OPEN and sim.order_id in self._working[sim.product_id]:
            leaves = sim.leaves_size
            need = (sim.limit_price or ZERO) * leaves * (1 + self._fees.taker) if buy else leaves
        if need != sim.hold:
            self._accounts.change_hold(currency, need - sim.hold)
            sim.hold = need

    def _notify(self, sim: SimOrder) -> None:
        for listener in list(self._listeners):
            listener(sim)
