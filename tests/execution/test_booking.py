"""X-4: a fill is booked only when it matches its own order — product, side, and no more
base size in all than ordered (exact Decimal, each trade id counted once). A fill that
contradicts its order stays out of `fills` and the position; the others are booked."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.intents import stored_intent
from trader.core.types import Side
from trader.exchange.models import Fill
from trader.execution import store
from trader.execution.intents import IntentState
from trader.execution.tracker import _store_own_fills
from trader.state.db import open_and_migrate

NOW = 1_800_000_000.0


def _fill(trade: str, size: str, *, side: Side = Side.BUY, product: str = "BTC-USD") -> Fill:
    return Fill(
        entry_id="",
        trade_id=trade,
        order_id="o1",
        product_id=product,
        side=side,
        price=Decimal(100),
        size=Decimal(size),
        commission=Decimal("0.001"),
        liquidity="MAKER",
        trade_type="FILL",
        trade_time=NOW,
        sequence_timestamp="",
    )


def _with_order(conn: sqlite3.Connection) -> None:
    """Intent i1: BUY 0.01 BTC-USD, at the venue as order o1."""
    store.insert_intent(conn, stored_intent(1, IntentState.OPEN, at=NOW))
    store.update_fields(conn, "i1", NOW, exchange_order_id="o1")


def _stored(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    rows = conn.execute("SELECT trade_id, size FROM fills ORDER BY trade_id").fetchall()
    return [(row[0], row[1]) for row in rows]


def _position(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT base_size FROM positions WHERE product_id = 'BTC-USD'").fetchone()
    return None if row is None else row[0]


def test_x4_fills_up_to_the_ordered_size_are_booked_exactly(conn):
    _with_order(conn)
    _, fresh, refused = _store_own_fills(conn, [_fill("t1", "0.004"), _fill("t2", "0.006")], NOW)
    assert [f.trade_id for f in fresh] == ["t1", "t2"] and refused == []
    assert Decimal(_position(conn) or "0") == Decimal("0.01")


def test_x4_a_fill_beyond_the_ordered_size_is_refused_the_rest_booked(conn):
    _with_order(conn)
    _store_own_fills(conn, [_fill("t1", "0.006")], NOW)
    fills = [_fill("t1", "0.006"), _fill("t2", "0.0041"), _fill("t3", "0.004")]
    _, fresh, refused = _store_own_fills(conn, fills, NOW + 1)
    assert [f.trade_id for f in fresh] == ["t3"]
    assert [(c.fill.trade_id, c.intent_id) for c in refused] == [("t2", "i1")]
    assert "would fill 0.0101 of an order for 0.01" in refused[0].problem
    assert _stored(conn) == [("t1", "0.006"), ("t3", "0.004")]


def test_x4_a_fill_of_the_other_side_or_product_is_refused(conn):
    _with_order(conn)
    wrong = [_fill("t1", "0.001", side=Side.SELL), _fill("t2", "0.001", product="ETH-USD")]
    _, fresh, refused = _store_own_fills(conn, wrong, NOW)
    assert fresh == [] and _stored(conn) == [] and _position(conn) is None
    assert [c.problem for c in refused] == [
        "side SELL, the order is a BUY",
        "product ETH-USD, the order is for BTC-USD",
    ]
    assert "fill t1 of order o1 (intent i1)" in refused[0].detail()


@settings(deadline=None)  # a state file migrated per example
@given(sizes=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=8))
def test_x4_whatever_the_venue_reports_no_order_books_more_than_ordered(tmp_path_factory, sizes):
    conn = open_and_migrate(tmp_path_factory.mktemp("b") / "s.db")
    try:
        _with_order(conn)
        fills = [_fill(f"t{n}", str(Decimal(size) / 1000)) for n, size in enumerate(sizes)]
        fills += fills[:2]  # served again: one trade id is one fill
        _, fresh, refused = _store_own_fills(conn, fills, NOW)
        booked = sum((f.size for f in fresh), Decimal(0))
        assert booked <= Decimal("0.01")
        assert len(fresh) + len(refused) == len(sizes)
        assert {c.fill.trade_id for c in refused}.isdisjoint({t for t, _ in _stored(conn)})
    finally:
        conn.close()
