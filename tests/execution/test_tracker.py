"""X-4, X-5, X-7: what one own-order event writes — the order row, the intent's venue id,
its progress (forward only) and its state — in one transaction, and what it reports
back (a moved state, a rejection the venue overruled, fills not stored yet)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from tests.support.intents import stored_intent
from trader.core.orders import OrderStatus
from trader.exchange.models import OrderEvent
from trader.execution import store
from trader.execution.intents import IntentState
from trader.execution.tracker import _record_own_event

NOW = 1_800_000_000.0


def _event(status: OrderStatus, filled: str, *, client: str = "c1") -> OrderEvent:
    size = Decimal(filled)
    return OrderEvent(
        order_id="o1",
        client_order_id=client,
        product_id="BTC-USD",
        side="BUY",
        status=status,
        order_type="limit",
        cumulative_quantity=size,
        leaves_quantity=Decimal("0.01") - size,
        avg_price=Decimal(100),
        filled_value=size * 100,
        total_fees=size / 10,
        number_of_fills=1 if size else 0,
        snapshot=False,
    )


def _progress(conn: sqlite3.Connection) -> tuple[str, str | None, str, str, str]:
    row = conn.execute(
        "SELECT state, exchange_order_id, filled_size, filled_value, fees FROM intents "
        "WHERE intent_id = 'i1'"
    ).fetchone()
    return tuple(row)  # type: ignore[return-value]


def test_x4_an_own_order_event_is_one_transaction_with_no_savepoint(conn):
    store.insert_intent(conn, stored_intent(1, IntentState.SUBMITTING, at=NOW))
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    seen = _record_own_event(conn, _event(OrderStatus.OPEN, "0.004"), NOW + 1)
    conn.set_trace_callback(None)
    assert (seen.intent_id, seen.moved_to, seen.fills_missing) == (
        "i1",
        IntentState.PARTIALLY_FILLED,
        True,
    )
    assert _progress(conn) == ("PARTIALLY_FILLED", "o1", "0.004", "0.400", "0.0004")
    assert [s for s in statements if s.split()[0] in ("BEGIN", "COMMIT")] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    assert not [s for s in statements if s.split()[0] in ("SAVEPOINT", "RELEASE", "ROLLBACK")]
    assert not conn.in_transaction


def test_x4_progress_and_state_only_move_forward(conn):
    store.insert_intent(conn, stored_intent(1, IntentState.OPEN, at=NOW))
    _record_own_event(conn, _event(OrderStatus.OPEN, "0.006"), NOW + 1)
    older = _record_own_event(conn, _event(OrderStatus.OPEN, "0.002"), NOW + 2)
    assert older.moved_to is None
    assert _progress(conn) == ("PARTIALLY_FILLED", "o1", "0.006", "0.600", "0.0006")
    filled = _record_own_event(conn, _event(OrderStatus.FILLED, "0.01"), NOW + 3)
    assert filled.moved_to is IntentState.FILLED
    late = _record_own_event(conn, _event(OrderStatus.OPEN, "0.008"), NOW + 4)
    assert late.moved_to is None
    assert _progress(conn) == ("FILLED", "o1", "0.01", "1.00", "0.001")


def test_x4_fills_already_stored_are_not_asked_for_again(conn):
    store.insert_intent(conn, stored_intent(1, IntentState.OPEN, at=NOW))
    conn.execute(
        "INSERT INTO fills (trade_id, order_id, intent_id, product_id, side, price, size, "
        "commission, liquidity, trade_time, source, recorded_at) "
        "VALUES ('t1', 'o1', 'i1', 'BTC-USD', 'BUY', '100', '0.004', '0.0004', 'MAKER', ?, "
        "'rest', ?)",
        (NOW, NOW),
    )
    assert not _record_own_event(conn, _event(OrderStatus.OPEN, "0.004"), NOW + 1).fills_missing
    assert _record_own_event(conn, _event(OrderStatus.OPEN, "0.005"), NOW + 2).fills_missing


def test_x7_a_rejected_intent_whose_order_the_venue_holds_reopens(conn):
    store.insert_intent(conn, stored_intent(1, IntentState.REJECTED, at=NOW))
    seen = _record_own_event(conn, _event(OrderStatus.OPEN, "0"), NOW + 1)
    assert seen.overruled and seen.moved_to is None
    assert _progress(conn) == ("OPEN", "o1", "0", "0", "0")
    audit = conn.execute("SELECT kind, ref_id FROM audit_events").fetchall()
    assert [tuple(row) for row in audit] == [("rejection_overruled", "i1")]


def test_x5_an_event_for_no_intent_keeps_its_order_row_only(conn):
    store.insert_intent(conn, stored_intent(1, IntentState.OPEN, at=NOW))
    seen = _record_own_event(conn, _event(OrderStatus.OPEN, "0.004", client="c9"), NOW + 1)
    assert seen.intent_id is None
    row = conn.execute("SELECT client_order_id, intent_id, filled_size FROM orders").fetchone()
    assert tuple(row) == ("c9", None, "0.004")
    assert _progress(conn) == ("OPEN", None, "0", "0", "0")


@pytest.mark.parametrize("state", list(IntentState))
@pytest.mark.parametrize("filled", ["0", "0.004", "0.0100"])
def test_x1_an_intents_standing_is_what_its_whole_row_says(conn, state, filled):
    store.insert_intent(conn, stored_intent(1, state, at=NOW, filled=filled))
    store.update_fields(conn, "i1", NOW, exchange_order_id="o1")
    whole = store.intent_by_client_id(conn, "c1")
    standing = store.standing_by_client_id(conn, "c1")
    assert whole is not None and standing is not None
    assert (standing.intent_id, standing.state, standing.exchange_order_id) == (
        whole.intent_id,
        whole.state,
        whole.exchange_order_id,
    )
    assert str(standing.filled_size) == str(whole.filled_size) == filled
    assert store.standing_by_client_id(conn, "c2") is None
