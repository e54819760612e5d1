"""The matching engine (SIM-1): pure, in-memory, deterministic; venue-neutral.

Semantics (documented choices):
- Market liquidity comes from `BookUpdate` events (snapshot replaces a side; an update sets
  absolute sizes, 0 removes). Own resting limit orders sit beside it with price-time priority.
- Takers (market, IOC, FOK and crossing non-post-only limits) walk the market's levels only;
  own resting orders are never matched against own takers (self-trade prevention). Taken size
  is removed from the engine's copy of the market until the next book update.
- Resting own orders fill from replayed trades: a BUY at P fills on prints below P, and
  at P only after the market size queued ahead of it at P (size at P when it rested, capped
  by later smaller book sizes) has been consumed by traded size. They also fill when a book
  update moves the market's opposite levels to or through them (an ask at or below an own
  bid): against those levels, best first, their size consumed, before the touch is read —
  so the published touch is never crossed nor locked by the market meeting own orders.
  Fills are at the order's price, partial up to the print's or level's size, and pay the
  maker fee; taker fills pay the taker fee.
- FOK (`limit_limit_fok`) fills its whole size at once within its limit or is CANCELLED
  with no fill. Stop-limit and bracket triggers fire on the last trade price (`stops.py`);
  edits follow `edit.py`.
- Fees are exact: commission = price × size × rate, never rounded (values carry at most
  quote-decimals + base-decimals + rate-decimals digits, well inside Decimal's 28 digits).
- Holds: a working BUY (resting, or waiting for its stop) holds limit_price × leaves ×
  (1 + taker rate) of quote (the worst-case fee, as Coinbase holds size × price plus fee); a
  working SELL holds its leaves in base. A market BUY by `quote_size` spends that much quote
  on value and pays the fee on top.
- A market order meeting an empty opposite book is rejected `INVALID_NO_LIQUIDITY`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any, Final

from trader.core.orders import OrderStatus
from trader.core.types import BookLevel, FeeRates, ProductRules, Quote, Side
from trader.matching.accounts import Accounts
from trader.matching.edit import (
    edit_rejection,
    edited_configuration,
    keeps_queue,
    state_problem,
)
from trader.matching.lifecycle import OrderLifecycle
from trader.matching.preview import preview
from trader.matching.state_checks import state_rejection
from trader.matching.types import (
    Balance,
    BookUpdate,
    CancelOutcome,
    CreateOutcome,
    EditOutcome,
    EditPreview,
    EditRecord,
    MarketEvent,
    NewOrder,
    OrderListener,
    PreviewOutcome,
    SimFill,
    SimOrder,
)
from trader.matching.validation import static_rejection

ZERO: Final = Decimal(0)
SETTABLE_FLAGS: Final = frozenset(
    {"status", "trading_disabled", "cancel_only", "limit_only", "post_only", "auction_mode"}
)


class MatchingEngine(OrderLifecycle):
    """Implements the simulated venue's `Engine` protocol (`trader.sim.contract`); PAPER
    and the backtest call it directly."""

    # ---- products -------------------------------------------------------------------------
    def product(self, product_id: str) -> ProductRules | None:
        """The listed product's rules (None: unknown, or delisted)."""
        return None if product_id in self._delisted else self._rules.get(product_id)

    def products(self) -> list[ProductRules]:
        return [r for pid, r in self._rules.items() if pid not in self._delisted]

    def set_listed(self, product_id: str, listed: bool) -> list[str]:
        """Delist the product (orders for it are refused `INVALID_PRODUCT_ID` and every
        own order working on it is cancelled, as Coinbase does at a delisting) or list it
        again; returns the ids of the orders cancelled."""
        if product_id not in self._rules:
            raise ValueError(f"unknown product {product_id}")
        if listed:
            self._delisted.discard(product_id)
            return []
        self._delisted.add(product_id)
        ids = self._working[product_id]
        working = [sim for sim in self._ledger if sim.order_id in ids]  # in order of arrival
        for sim in working:
            self._finish(sim, OrderStatus.CANCELLED, "Product delisted")
        return [sim.order_id for sim in working]

    def set_product_flags(self, product_id: str, **flags: Any) -> None:
        unknown = set(flags) - SETTABLE_FLAGS
        if unknown:
            raise ValueError(f"unknown product flags {sorted(unknown)}")
        if product_id not in self._rules:
            raise ValueError(f"unknown product {product_id}")
        self._rules[product_id] = replace(self._rules[product_id], **flags)

    def replace_product(self, rules: ProductRules) -> None:
        """New rules (increments, size limits, flags) for a listed product; orders are
        judged by them from now on."""
        if rules.product_id not in self._rules:
            raise ValueError(f"unknown product {rules.product_id}")
        self._rules[rules.product_id] = rules

    # ---- market -----------------------------------------------------------------------------
    def apply_market(self, event: MarketEvent, now: float) -> None:
        book = self._books.get(event.product_id)
        if book is None:
            raise ValueError(f"market event for unknown product {event.product_id}")
        if isinstance(event, BookUpdate):
            self._apply_book(book, event, now)
            return
        self.expire_orders(now)
        self._last_price[event.product_id] = event.price
        self._fill_side(book, Side.BUY, event, now)
        self._fill_side(book, Side.SELL, event, now)
        for order in self._stops.fired(event.product_id, event.price):
            self._trigger(order, now)

    def last_trade_price(self, product_id: str) -> Decimal | None:
        """The last market trade's price, else the book's mid (None without either)."""
        last = self._last_price.get(product_id)
        if last is not None:
            return last
        quote = self.quote(product_id)
        return quote.mid if quote is not None else None

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
        return preview(order, self.product(order.product_id), book, self._fees, problem)

    def _rejection(self, order: NewOrder, now: float) -> CreateOutcome | None:
        rules = self.product(order.product_id)
        problem = static_rejection(order, rules)
        if problem is not None or rules is None:
            return problem
        return state_rejection(
            order,
            rules,
            self._books[order.product_id],
            self._fees,
            self._accounts,
            open_count=len(self._working[rules.product_id]),
            now=now,
            last_price=self.last_trade_price(rules.product_id),
        )

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

    # ---- edits ------------------------------------------------------------------------------
    def edit_order(
        self, order_id: str, price: Decimal | None, size: Decimal | None, now: float
    ) -> EditOutcome:
        self.expire_orders(now)
        sim = self._by_id.get(order_id)
        problem = self._edit_problem(sim, price, size)
        if problem is not None:
            return problem
        assert sim is not None and price is not None and size is not None
        same_queue = keeps_queue(sim, price, size)
        sim.spec = replace(sim.spec, base_size=size, limit_price=price)
        sim.configuration = edited_configuration(sim.configuration, sim.spec.kind, price, size)
        sim.edit_history.append(EditRecord(price, size, now))
        if same_queue:
            self._sync_hold(sim)
            self._notify(sim)
        else:
            self._unrest(sim)
            self._execute(sim, now)
        return EditOutcome(success=True)

    def preview_edit(
        self, order_id: str, price: Decimal | None, size: Decimal | None, now: float
    ) -> EditPreview:
        """Totals of the order's remainder as edited (the order itself is not changed)."""
        sim = self._by_id.get(order_id)
        problem = self._edit_problem(sim, price, size)
        if problem is not None:
            return EditPreview(problem)
        assert sim is not None and price is not None and size is not None
        spec = replace(sim.spec, base_size=size - sim.filled_size, limit_price=price)
        remainder = NewOrder("", sim.product_id, sim.side, spec, sim.configuration)
        outcome = preview(
            remainder, self._rules[sim.product_id], self._books[sim.product_id], self._fees, None
        )
        return EditPreview(EditOutcome(success=True), outcome, sim.average_filled_price)

    def _edit_problem(
        self, sim: SimOrder | None, price: Decimal | None, size: Decimal | None
    ) -> EditOutcome | None:
        rules = self.product(sim.product_id) if sim is not None else None
        problem = edit_rejection(sim, price, size, rules)
        if problem is not None or sim is None or rules is None:
            return problem
        book = self._books[sim.product_id]
        return state_problem(
            sim, price or ZERO, size or ZERO, book, self._fees, self._accounts, rules
        )

    # ---- reads ------------------------------------------------------------------------------
    def open_products(self) -> list[str]:
        """Products with at least one own order working, in listing order."""
        return [pid for pid, working in self._working.items() if working]

    def working_on(self, product_id: str) -> bool:
        """True while an own order works on the product (resting or a stop waiting)."""
        return bool(self._working.get(product_id))

    def resting_prices(self, product_id: str) -> tuple[list[Decimal], list[Decimal]]:
        """The prices own orders rest at on one product: (bids, asks), ascending."""
        book = self._books.get(product_id)
        if book is None:
            return [], []
        return list(book.own_bids.prices), list(book.own_asks.prices)

    def get_order(self, order_id: str) -> SimOrder | None:
        return self._by_id.get(order_id)

    def orders(self) -> list[SimOrder]:
        return list(self._ledger)

    def fills(self) -> list[SimFill]:
        return list(self._fills)

    def fills_of(self, order_ids: Iterable[str]) -> list[SimFill]:
        """The fills of these orders, in the order they happened — `fills()` filtered to
        them, without walking every fill of the run (the tracker asks after each event)."""
        rows = sorted({row for order_id in order_ids for row in self._fill_rows.get(order_id, ())})
        return [self._fills[row] for row in rows]

    def balances(self) -> list[Balance]:
        return self._accounts.balances()

    @property
    def accounts(self) -> Accounts:
        """The balances (a reader caching against their moves holds this)."""
        return self._accounts

    def fee_rates(self) -> FeeRates:
        return self._fees

    def traded_volume(self) -> Decimal:
        """Sum of own filled value (quote units, all quote currencies added together)."""
        return self._volume

    def quote(self, product_id: str) -> Quote | None:
        book = self._books.get(product_id)
        return book.quote(product_id) if book is not None else None

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
