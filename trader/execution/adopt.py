"""Adoption (ST-3): rebuild lost state from the venue's record, on the operator's word.

A state file that was lost (or a fresh one facing an account that holds what no state
explains) does not trade until `trader adopt` has run this:
1. this installation's orders (client ids with its tag) since `since` and all open ones;
2. open ones are cancelled: the decisions that placed them are gone with the state;
3. each order becomes an intent (`reason = adopted`) in the venue's final state, and the
   venue's fills of those orders are stored — positions and PnL follow from them exactly
   as from the daemon's own fills, and as there (trader.execution.booking) a fill that
   contradicts its order is not stored: the adoption then stops here (`AdoptionRefused`),
   what it stored is kept and the state still needs adoption;
4. the balance baseline is set from the venue's balances now (what the adopted fills do
   not explain is outside the daemon: deposits, holdings from before);
5. the adoption flag is cleared, with an audit event.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import orjson
import structlog

from trader.core.clock import Clock
from trader.core.types import Side
from trader.exchange.interface import Exchange
from trader.exchange.models import Fill, Order, balances_by_currency
from trader.exchange.order_feed import order_event
from trader.execution import store
from trader.execution.booking import Contradiction, book
from trader.execution.intents import (
    AT_THE_VENUE,
    Intent,
    IntentState,
    Purpose,
    state_from_venue,
)
from trader.execution.reconcile import VERIFY_BATCH
from trader.state.db import Database, transaction
from trader.state.fills import fill_deltas, save_baseline
from trader.state.identity import clear_adoption
from trader.state.orders import intent_ids_of_orders, upsert_order
from trader.state.trading_state import record_audit

log = structlog.get_logger("trader.adopt")

WORKING = ("OPEN", "PENDING", "QUEUED")
SETTLE_ROUNDS = 10


class AdoptionRefused(Exception):
    """Venue data the adoption cannot take: a fill contradicting its own order."""

    def __init__(self, refused: list[Contradiction]) -> None:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        super().__init__(
            f"the venue reports a fill that contradicts its order: {refused[0].detail()}{more}"
        )
        self.refused = refused


@dataclass
class AdoptionReport:
    tag: str
    orders: int = 0
    cancelled: int = 0
    fills: int = 0
    positions: dict[str, str] = field(default_factory=dict)
    outside: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "installation": self.tag,
            "orders_adopted": self.orders,
            "orders_cancelled": self.cancelled,
            "fills": self.fills,
            "positions": self.positions,
            "outside_holdings": self.outside,
        }


def adopted_intent(order: Order, now: float) -> Intent:
    state = state_from_venue(order.status, order.filled_size) or IntentState.CANCELLED
    if state in AT_THE_VENUE:
        state = IntentState.CANCELLED  # still working after the cancels: followed by the tracker
    return Intent(
        intent_id=f"adopted-{order.order_id}",
        client_order_id=order.client_order_id,
        mode="LIVE",
        purpose=Purpose.ENTRY if order.side is Side.BUY else Purpose.EXIT,
        product_id=order.product_id,
        side=order.side,
        order_configuration=orjson.dumps(order.order_configuration).decode(),
        request_body=b"",
        base_size=order.base_size,
        quote_size=order.quote_size,
        limit_price=order.limit_price,
        state=state,
        created_at=order.created_time or now,
        exchange_order_id=order.order_id,
        filled_size=order.filled_size,
        filled_value=order.filled_value,
        fees=order.total_fees,
        reason="adopted",
    )


async def adopt(
    db: Database,
    exchange: Exchange,
    tag: str,
    since: float,
    base_currencies: Sequence[str],
    clock: Clock,
) -> AdoptionReport:
    report = AdoptionReport(tag)
    orders = await _own_orders(exchange, tag, since)
    working = [o.order_id for o in orders.values() if o.status in WORKING]
    if working:
        await exchange.cancel_orders(working)
        report.cancelled = len(working)
        for order_id in working:
            orders[order_id] = await _settled(exchange, order_id)
    report.orders = len(orders)
    now = clock()
    await db.run(lambda conn: _record_orders(conn, list(orders.values()), now))
    report.fills = await _store_fills(db, exchange, list(orders), clock)
    totals = await _venue_totals(exchange)
    deltas = await db.run(fill_deltas)
    for currency in base_currencies:
        held, ours = totals.get(currency, Decimal(0)), deltas.get(currency, Decimal(0))
        if ours:
            report.positions[currency] = str(ours)
        if held - ours:
            report.outside[currency] = str(held - ours)
    now = clock()
    await db.run(lambda conn: _finish(conn, totals, report, now))
    log.warning("state_adopted", **report.as_dict())
    return report


async def _own_orders(exchange: Exchange, tag: str, since: float) -> dict[str, Order]:
    """Own orders since `since`, and every open one (the venue's date filter skips those)."""
    listed = await exchange.list_orders(start=since)
    listed += await exchange.list_orders(statuses=["OPEN"])
    return {o.order_id: o for o in listed if o.client_order_id.startswith(tag + "-")}


async def _settled(exchange: Exchange, order_id: str) -> Order:
    """The order once the venue reports it finished (cancelled, or filled meanwhile)."""
    order = await exchange.get_order(order_id)
    for _ in range(SETTLE_ROUNDS):
        if order.status not in WORKING:
            break
        await asyncio.sleep(0.2)
        order = await exchange.get_order(order_id)
    return order


def _record_orders(conn: sqlite3.Connection, orders: list[Order], now: float) -> None:
    for order in orders:
        if store.intent_by_client_id(conn, order.client_order_id) is None:
            store.insert_intent(conn, adopted_intent(order, now))
        intent = store.intent_by_client_id(conn, order.client_order_id)
        assert intent is not None
        upsert_order(conn, order_event(order, source="adopt"), intent.intent_id, False, now)


async def _store_fills(db: Database, exchange: Exchange, order_ids: list[str], clock: Clock) -> int:
    """The venue's fills of `order_ids` booked; `AdoptionRefused` once all are read when
    one contradicts its order (the others stored)."""
    stored = 0
    refused: list[Contradiction] = []
    for start in range(0, len(order_ids), VERIFY_BATCH):
        batch = order_ids[start : start + VERIFY_BATCH]
        fills = await exchange.fills(order_ids=batch)
        fresh, wrong = await db.run(_fill_writer(batch, fills, clock()))
        stored += len(fresh)
        refused += wrong
    if refused:
        raise AdoptionRefused(refused)
    return stored


def _fill_writer(
    batch: list[str], fills: list[Fill], now: float
) -> Callable[[sqlite3.Connection], tuple[list[Fill], list[Contradiction]]]:
    def write(conn: sqlite3.Connection) -> tuple[list[Fill], list[Contradiction]]:
        owners = intent_ids_of_orders(conn, batch)
        return book(conn, [f for f in fills if f.order_id in owners], owners, "adopt", now)

    return write


async def _venue_totals(exchange: Exchange) -> dict[str, Decimal]:
    return balances_by_currency(await exchange.accounts())


def _finish(
    conn: sqlite3.Connection, totals: dict[str, Decimal], report: AdoptionReport, now: float
) -> None:
    save_baseline(conn, totals, now)
    with transaction(conn):
        clear_adoption(conn)
        record_audit(conn, "adopted", "operator", report.as_dict(), now)
