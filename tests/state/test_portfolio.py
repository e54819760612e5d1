"""X-4, R-1, R-3: the portfolio's rows — positions held, working orders, the exit plan of
the entry that last added, risk counters and cooldowns."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tests.support.intents import stored_intent
from trader.execution import store
from trader.execution.intents import IntentState
from trader.state import portfolio
from trader.state.db import open_and_migrate

NOW = 1_800_000_000.0
INTENT_SCANS = (["SCAN", "intents"], ["SCAN", "i"], ["SCAN", "j"])  # the table, its aliases


@pytest.fixture
def conn(tmp_path):
    conn = open_and_migrate(tmp_path / "s.db")
    yield conn
    conn.close()


def _position(conn, product, size, pnl):
    conn.execute(
        "INSERT INTO positions (product_id, base_size, average_cost, realized_pnl, opened_at, "
        "updated_at) VALUES (?, ?, '100', ?, ?, ?)",
        (product, size, pnl, NOW, NOW),
    )


def _intent(n, state, *, filled="0", proposal=None):
    return stored_intent(n, state, at=NOW + n, filled=filled, proposal=proposal)


def test_x4_positions_held_their_sizes_and_realized_pnl_over_all(conn):
    _position(conn, "BTC-USD", "0.5", "1.25")
    _position(conn, "ETH-USD", "0", "-0.75")
    assert portfolio.realized_pnl(conn) == Decimal("0.50")
    assert portfolio.held_sizes(conn) == [("BTC-USD", "0.5")]
    assert [tuple(r) for r in portfolio.held_positions(conn)] == [("BTC-USD", "0.5", "100", NOW)]
    sizes = portfolio.position_sizes(conn, ["BTC-USD", "ETH-USD", "SOL-USD"])
    assert sizes == {"BTC-USD": Decimal("0.5"), "ETH-USD": Decimal(0)}


def test_r1_working_orders_are_the_intents_in_working_states(conn):
    for n, state in enumerate(IntentState):
        store.insert_intent(conn, _intent(n, state))
    ids = sorted(row["intent_id"] for row in portfolio.working_orders(conn))
    assert ids == ["i0", "i1", "i2", "i3"]  # NEW, SUBMITTING, OPEN, PARTIALLY_FILLED


def test_r1_entry_plans_are_the_last_filled_entry_of_each_product_held(conn):
    conn.execute("INSERT INTO cycles VALUES ('c', 0, 0, 'OK', 'h', 'LIVE', NULL, NULL)")
    plans = (
        (1, "BTC-USD", '{"max_hold_s": 60}', IntentState.FILLED, "0.01", NOW),
        (2, "BTC-USD", '{"max_hold_s": 90}', IntentState.FILLED, "0.02", NOW + 5),
        (3, "BTC-USD", '{"max_hold_s": 120}', IntentState.OPEN, "0", NOW + 9),  # unfilled
        (4, "ETH-USD", '{"max_hold_s": 30}', IntentState.FILLED, "1", NOW),  # sold since
        (5, "SOL-USD", '{"max_hold_s": 45}', IntentState.PARTIALLY_FILLED, "2", NOW + 1),
        (6, "SOL-USD", None, IntentState.FILLED, "1", NOW + 2),  # no proposal: plan stays
    )
    for n, product, payload, state, filled, at in plans:
        if payload is not None:
            conn.execute(
                "INSERT INTO proposals VALUES (?, 'c', 'rules', ?, 'BUY', ?, 0)",
                (f"p{n}", product, payload),
            )
        proposal = None if payload is None else f"p{n}"
        intent = _intent(n, state, filled=filled, proposal=proposal)
        store.insert_intent(conn, replace(intent, product_id=product, created_at=at))
    _position(conn, "BTC-USD", "0.03", "0")
    _position(conn, "ETH-USD", "0", "1")
    _position(conn, "SOL-USD", "2", "0")
    assert [tuple(r) for r in portfolio.entry_plans(conn)] == [
        ("BTC-USD", '{"max_hold_s": 90}'),
        ("SOL-USD", '{"max_hold_s": 45}'),
    ]


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("entry_plans", lambda conn: portfolio.entry_plans(conn)),
        ("entries_traded_since", lambda conn: portfolio.entries_traded_since(conn, NOW)),
        ("working_orders", lambda conn: portfolio.working_orders(conn)),
        ("held_positions", lambda conn: portfolio.held_positions(conn)),
    ],
)
def test_r1_the_cycle_reads_never_scan_every_intent(conn, name, read):
    """R-1, R-3: what every cycle reads costs the same after a year of orders as on the
    first day: no read of the cycle walks the whole intents table, nor sorts a product's
    whole history for each row it returns (a sort inside a correlated subquery)."""
    plans: list[str] = []
    conn.set_trace_callback(plans.append)
    read(conn)
    conn.set_trace_callback(None)
    assert plans, name
    for sql in plans:
        rows = [(row[0], row[1], row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        steps = [detail for _id, _parent, detail in rows]
        scans = [s for s in steps if s.split()[:2] in INTENT_SCANS]
        assert not scans, (name, steps)
        per_row = {i for i, _parent, detail in rows if detail.startswith("CORRELATED")}
        sorts = [d for _i, parent, d in rows if parent in per_row and "TEMP B-TREE" in d]
        assert not sorts, (name, steps)


def test_r3_risk_counters_round_trip_and_cooldowns_expire(conn):
    portfolio.write_risk_counters(conn, Decimal("1000.5"), None, "2027-01-15", NOW)
    row = portfolio.risk_counters(conn)
    assert (row[0], row[1], row[2]) == ("1000.5", None, "2027-01-15")
    conn.execute("INSERT INTO cooldowns VALUES ('BTC-USD', 'loss', ?, ?)", (NOW + 60, NOW))
    conn.execute("INSERT INTO cooldowns VALUES ('ETH-USD', 'loss', ?, ?)", (NOW - 1, NOW))
    assert portfolio.active_cooldowns(conn, NOW) == [("BTC-USD", NOW + 60, "loss")]
    assert portfolio.purge_expired_cooldowns(conn, NOW) == 1
    assert portfolio.active_cooldowns(conn, NOW - 10) == [("BTC-USD", NOW + 60, "loss")]
