"""X-1, X-6: the store's queries over working intents — the exit already working, the
open-order count, the paper venue's restart — and the engine's send bookkeeping."""

from __future__ import annotations

from tests.support.intents import stored_intent
from trader.core.types import Side
from trader.execution import store
from trader.execution.intents import IntentState

NOW = 1_800_000_000.0


def _intent(n, state, *, side=Side.SELL, product="BTC-USD", mode="LIVE"):
    return stored_intent(n, state, at=NOW + n, side=side, product=product, mode=mode)


def _add(conn, *intents):
    for intent in intents:
        store.insert_intent(conn, intent)


def _order(conn, intent_id, status):
    conn.execute(
        "INSERT INTO orders (order_id, client_order_id, intent_id, product_id, side, status, "
        "updated_at) VALUES (?, ?, ?, 'BTC-USD', 'SELL', ?, 0)",
        (f"o-{intent_id}", f"c-{intent_id}", intent_id, status),
    )


def test_x1_an_exit_is_working_only_while_a_sell_is_in_a_working_state(conn):
    _add(conn, _intent(1, IntentState.FILLED), _intent(2, IntentState.OPEN, side=Side.BUY))
    assert not store.exit_working(conn, "BTC-USD")
    _add(conn, _intent(3, IntentState.PARTIALLY_FILLED))
    assert store.exit_working(conn, "BTC-USD")
    assert not store.exit_working(conn, "ETH-USD")


def test_x1_the_working_exit_check_reads_the_working_intents_not_a_products_history(conn):
    """Asked at every cycle for every held product: after a year of exits the answer must
    cost what it cost on the first day — the search goes by product and state (the few
    working rows), never through every SELL the product ever had."""
    _add(conn, *(_intent(n, IntentState.FILLED) for n in range(1, 300)))
    _add(conn, _intent(300, IntentState.OPEN))
    plans: list[str] = []
    conn.set_trace_callback(plans.append)
    assert store.exit_working(conn, "BTC-USD")
    conn.set_trace_callback(None)
    (sql,) = plans
    steps = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    assert len(steps) == 1 and steps[0].startswith("SEARCH intents USING"), steps
    assert "product_id=? AND state=?" in steps[0], steps


def test_ops4_open_orders_count_working_intents_of_the_modes_that_send(conn):
    _add(
        conn,
        _intent(1, IntentState.NEW),
        _intent(2, IntentState.SUBMITTING),
        _intent(3, IntentState.OPEN),
        _intent(4, IntentState.CANCELLED),
        _intent(5, IntentState.NEW, mode="DRY_RUN"),
    )
    assert store.count_open_orders(conn) == 3


def test_x6_closing_working_intents_closes_their_venue_orders_too(conn):
    _add(conn, _intent(1, IntentState.OPEN), _intent(2, IntentState.FILLED))
    _order(conn, "i1", "OPEN")
    _order(conn, "i2", "FILLED")
    assert store.close_working(conn, "paper venue restarted", NOW + 9) == 1
    closed = store.get_intent(conn, "i1")
    assert closed is not None and closed.state is IntentState.CANCELLED
    assert closed.reject_reason == "paper venue restarted"
    assert store.get_intent(conn, "i2").state is IntentState.FILLED
    statuses = dict(conn.execute("SELECT intent_id, status FROM orders").fetchall())
    assert statuses == {"i1": "CANCELLED", "i2": "FILLED"}
    assert store.close_working(conn, "paper venue restarted", NOW + 10) == 0


def test_x1_a_resend_is_counted_and_an_unknown_outcome_keeps_its_cause(conn):
    _add(conn, _intent(1, IntentState.SUBMITTING))
    store.count_attempt(conn, "i1", NOW + 1)
    store.count_attempt(conn, "i1", NOW + 2)
    store.note_outcome_unknown(conn, "i1", "timeout " * 100, NOW + 3)
    row = conn.execute(
        "SELECT attempts, last_error, updated_at, state FROM intents WHERE intent_id = 'i1'"
    ).fetchone()
    assert (row[0], len(row[1]), row[2], row[3]) == (2, 500, NOW + 3, "SUBMITTING")
