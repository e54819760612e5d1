"""X-1: the sets of intent states follow from their ranks (one definition, used by every
`state IN (...)` query)."""

from __future__ import annotations

from trader.execution.intents import (
    LIVE_STATES,
    RANK,
    TERMINAL,
    WORKING,
    IntentState,
    state_values,
)


def test_x1_working_states_are_every_state_before_a_terminal_one():
    assert state_values(WORKING) == ("NEW", "SUBMITTING", "OPEN", "PARTIALLY_FILLED")
    assert set(IntentState) == WORKING | TERMINAL and not WORKING & TERMINAL
    assert all(RANK[s] < RANK[t] for s in WORKING for t in TERMINAL)


def test_x1_live_states_are_the_working_ones_already_sent_or_sending():
    assert LIVE_STATES == (IntentState.SUBMITTING, IntentState.OPEN, IntentState.PARTIALLY_FILLED)


def test_x1_state_values_are_in_rank_order_whatever_the_input_order():
    shuffled = (IntentState.DRY, IntentState.OPEN, IntentState.NEW)
    assert state_values(shuffled) == ("NEW", "OPEN", "DRY")
    assert state_values(reversed(shuffled)) == ("NEW", "OPEN", "DRY")
