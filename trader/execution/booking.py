"""Fills checked against their own order before they are booked (X-4).

A fill the venue reports for one of our orders must match what was ordered: the same
product, the same side, and — with every fill of the order counted once, by trade id —
no more base size in all than the order asked for (exact Decimal; an order sized in
quote currency has no base size to check). A fill that contradicts its order is venue
data the ledger cannot take: it is kept out of `fills`, and the caller says so — the
daemon halts (`venue_data_error`), `trader adopt` adopts nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from trader.exchange.models import Fill
from trader.execution import store
from trader.execution.intents import Intent
from trader.state import fill_rows
from trader.state.fills import fill_stored

VENUE_DATA_ERROR: Final = "venue_data_error"


@dataclass(frozen=True, slots=True)
class Contradiction:
    """A fill refused at booking, the intent of its order, and what is wrong."""

    fill: Fill
    intent_id: str
    problem: str

    def detail(self) -> str:
        return (
            f"fill {self.fill.trade_id} of order {self.fill.order_id} "
            f"(intent {self.intent_id}): {self.problem}"
        )


def book(
    conn: sqlite3.Connection,
    fills: list[Fill],
    intent_ids: dict[str, str],
    source: str,
    now: float,
) -> tuple[list[Fill], list[Contradiction]]:
    """The fills of own orders (`intent_ids`: order id -> intent id) stored, unless they
    contradict their order: (the ones stored now, the ones refused)."""
    refused = contradictions(conn, fills, intent_ids)
    bad = {c.fill.trade_id for c in refused}
    taken = [f for f in fills if f.trade_id not in bad]
    return fill_rows.insert_fills(conn, taken, intent_ids, source, now), refused


def contradictions(
    conn: sqlite3.Connection, fills: list[Fill], intent_ids: dict[str, str]
) -> list[Contradiction]:
    """The fills not stored yet whose order's intent they contradict, in `fills` order
    (a fill taken counts toward the next one's size check; a refused one does not)."""
    found: list[Contradiction] = []
    filled: dict[str, Decimal] = {}
    seen: set[str] = set()
    for fill in fills:
        intent_id = intent_ids.get(fill.order_id)
        if intent_id is None or fill.trade_id in seen or fill_stored(conn, fill.trade_id):
            continue
        seen.add(fill.trade_id)
        intent = store.get_intent(conn, intent_id)
        if intent is None:
            continue
        before = filled.get(fill.order_id)
        if before is None:
            before = fill_rows.fills_of_order(conn, fill.order_id)[0]
        problem = _problem(fill, intent, before)
        if problem is None:
            filled[fill.order_id] = before + fill.size
        else:
            filled[fill.order_id] = before
            found.append(Contradiction(fill, intent_id, problem))
    return found


def _problem(fill: Fill, intent: Intent, filled_before: Decimal) -> str | None:
    if fill.product_id != intent.product_id:
        return f"product {fill.product_id}, the order is for {intent.product_id}"
    if fill.side is not intent.side:
        return f"side {fill.side.value}, the order is a {intent.side.value}"
    ordered = intent.base_size
    if ordered is not None and filled_before + fill.size > ordered:
        return f"size {fill.size} would fill {filled_before + fill.size} of an order for {ordered}"
    return None
