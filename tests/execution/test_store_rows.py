"""An intent read back from the state file is the intent stored, for every purpose, side and
state; a row whose text names none of them is refused as `ValueError` (not read as another)."""

from __future__ import annotations

import itertools

import pytest

from tests.support.intents import stored_intent
from trader.core.types import SIDES, Side
from trader.execution import store
from trader.execution.intents import INTENT_STATES, PURPOSES, IntentState, Purpose

NOW = 1_800_000_000.0


def test_x1_the_text_tables_name_every_member_and_nothing_else():
    assert {member.value: member for member in Side} == SIDES
    assert {member.value: member for member in Purpose} == PURPOSES
    assert {member.value: member for member in IntentState} == INTENT_STATES


def test_x1_every_purpose_side_and_state_reads_back_as_stored(conn):
    combos = itertools.product(Purpose, Side, IntentState)
    for n, (purpose, side, state) in enumerate(combos):
        intent = stored_intent(n, state, at=NOW + n, side=side, purpose=purpose)
        store.insert_intent(conn, intent)
        read = store.get_intent(conn, intent.intent_id)
        assert read is not None
        assert (read.purpose, read.side, read.state) == (purpose, side, state)
        assert read.purpose is purpose and read.side is side and read.state is state


@pytest.mark.parametrize(
    ("column", "text"),
    [("side", "buy"), ("side", "HOLD"), ("purpose", "ENTRY"), ("purpose", ""), ("state", "open")],
)
def test_x1_a_row_naming_no_member_is_refused(conn, column, text):
    store.insert_intent(conn, stored_intent(1, IntentState.OPEN, at=NOW))
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute(f"UPDATE intents SET {column} = ? WHERE intent_id = 'i1'", (text,))
    with pytest.raises(ValueError):
        store.get_intent(conn, "i1")
