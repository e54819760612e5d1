"""X-4: an order's fills count as verified exactly when they can hold no more — stored
fills that make up its whole base size and all its order reported filled — whatever order
its fills and the venue's reports of progress arrive in. A report of more filled than is
stored makes them unverified again."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.intents import stored_fill, stored_intent
from trader.core.types import Side
from trader.execution import store
from trader.execution.intents import IntentState
from trader.state import fill_rows
from trader.state.db import open_and_migrate

NOW = 1_800_000_000.0
ORDERED = Decimal("0.01")  # stored_intent's base size
STEP = Decimal("0.001")

# an event: ("fill", steps) stores a fill of the order (one that would fill past the
# ordered size is left out, as booking does), ("report", steps) is the venue's cumulative
# filled size — up to 0.012, more than was ordered
events = st.lists(
    st.tuples(st.sampled_from(["fill", "report"]), st.integers(min_value=1, max_value=12)),
    max_size=12,
)


def _verified(conn, intent_id: str) -> bool:
    row = conn.execute(
        "SELECT fills_verified FROM intents WHERE intent_id = ?", (intent_id,)
    ).fetchone()
    return bool(row[0])


def _replay(conn, sequence: list[tuple[str, int]]) -> tuple[Decimal, Decimal]:
    """Apply the events to intent i1's order o1; (fills stored, most reported filled)."""
    stored, reported = Decimal(0), Decimal(0)
    for n, (kind, steps) in enumerate(sequence, start=1):
        size = STEP * steps
        if kind == "fill" and stored + size <= ORDERED:
            fill = stored_fill(n, "o1", Side.SELL, size, at=NOW + n)
            fill_rows.insert_fills(conn, [fill], {"o1": "i1"}, "rest", NOW + n)
            stored += size
        elif kind == "report":
            fill_rows.record_progress(conn, "i1", size, Decimal(0), Decimal(0), NOW + n)
            reported = max(reported, size)
    return stored, reported


@settings(max_examples=120, deadline=None)
@given(sequence=events)
def test_x4_fills_are_verified_exactly_when_they_hold_the_whole_order(
    sequence: list[tuple[str, int]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        conn = open_and_migrate(Path(tmp) / "s.db")
        try:
            store.insert_intent(conn, stored_intent(1, IntentState.OPEN, at=NOW, side=Side.SELL))
            store.update_fields(conn, "i1", NOW, exchange_order_id="o1")
            stored, reported = _replay(conn, sequence)
            verified = _verified(conn, "i1")
        finally:
            conn.close()
    assert verified is (stored == ORDERED and reported <= stored)
