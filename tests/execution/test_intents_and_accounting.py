"""X-1, X-4: forward-only intent states, deterministic own ids, exact position accounting."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trader.core.types import Side
from trader.execution.accounting import FillRow, PositionTotals, apply_fill, position_from_fills
from trader.execution.ids import OrderIds
from trader.execution.intents import TERMINAL, IntentState, may_move, state_from_venue

D = Decimal


def test_x1_states_only_move_forward_and_terminal_states_never_change():
    assert may_move(IntentState.NEW, IntentState.SUBMITTING)
    assert may_move(IntentState.SUBMITTING, IntentState.FILLED)
    assert may_move(IntentState.OPEN, IntentState.PARTIALLY_FILLED)
    assert not may_move(IntentState.PARTIALLY_FILLED, IntentState.OPEN)
    assert not may_move(IntentState.OPEN, IntentState.SUBMITTING)
    assert not may_move(IntentState.OPEN, IntentState.OPEN)
    for terminal in TERMINAL:
        for target in IntentState:
            assert not may_move(terminal, target), (terminal, target)


def test_x1_cancelled_after_filled_is_ignored():
    # LESSONS: a spurious "cancelled" after a fill must never reopen or duplicate an order
    assert not may_move(IntentState.FILLED, IntentState.CANCELLED)


def test_x4_venue_status_mapping():
    assert state_from_venue("OPEN", D(0)) is IntentState.OPEN
    assert state_from_venue("OPEN", D("0.1")) is IntentState.PARTIALLY_FILLED
    assert state_from_venue("filled", D(1)) is IntentState.FILLED
    assert state_from_venue("FAILED", D(0)) is IntentState.REJECTED
    assert state_from_venue("PENDING", D(0)) is None


def test_x1_client_order_id_is_deterministic_uuid_shaped_and_recognizable():
    ids = OrderIds(uuid.UUID("12345678-1234-5678-1234-567812345678"))
    first = ids.client_order_id("intent-1")
    assert first == ids.client_order_id("intent-1")
    assert first != ids.client_order_id("intent-2")
    assert first.startswith("12345678-") and uuid.UUID(first)
    assert ids.is_own(first)
    other = OrderIds(uuid.UUID("87654321-1234-5678-1234-567812345678"))
    assert not other.is_own(first)
    assert not ids.is_own("abcdefab-0000-5000-8000-000000000000")
    assert not ids.is_own("12345678-manual-order")


@given(namespace=st.uuids(), intent_id=st.text(max_size=80))
def test_x1_client_order_id_is_uuid5_of_the_intent_with_the_installation_tag(namespace, intent_id):
    """The id the daemon has always sent (resends and adoption after an upgrade rely on
    it): uuid5(namespace, intent_id) with its first group the namespace's first."""
    derived = str(uuid.uuid5(namespace, intent_id))
    assert OrderIds(namespace).client_order_id(intent_id) == namespace.hex[:8] + derived[8:]


def test_x4_round_trip_realizes_price_difference_net_of_both_fees():
    buy = FillRow(Side.BUY, D("100"), D("2"), D("0.8"), 1.0)
    sell = FillRow(Side.SELL, D("110"), D("2"), D("1.32"), 2.0)
    after = position_from_fills([buy, sell])
    net = D("20") - D("0.8") - D("1.32")
    assert after == PositionTotals(D(0), D(0), net, D("2.12"), None, D(0), net, 2.0)


def test_r3_round_trip_result_counts_from_the_open_of_that_round_trip():
    first = [
        FillRow(Side.BUY, D("100"), D("1"), D("1"), 1.0),
        FillRow(Side.SELL, D("90"), D("1"), D("1"), 2.0),
    ]  # a losing round trip: -12
    second = [
        FillRow(Side.BUY, D("50"), D("2"), D("0"), 3.0),
        FillRow(Side.SELL, D("55"), D("1"), D("0"), 4.0),
        FillRow(Side.SELL, D("56"), D("1"), D("0"), 5.0),
    ]  # a winning one: +11
    after_first = position_from_fills(first)
    assert after_first.last_close_pnl == D("-12") and after_first.last_closed_at == 2.0
    after_second = position_from_fills(first + second)
    assert after_second.realized_at_open == D("-12")
    assert after_second.last_close_pnl == D("11") and after_second.last_closed_at == 5.0


def test_x4_average_cost_and_partial_sell():
    position = position_from_fills(
        [
            FillRow(Side.BUY, D("100"), D("1"), D("0"), 1.0),
            FillRow(Side.BUY, D("130"), D("2"), D("0"), 2.0),
            FillRow(Side.SELL, D("150"), D("1.5"), D("0"), 3.0),
        ]
    )
    assert position.base_size == D("1.5")
    assert position.average_cost == D("120")
    assert position.realized_pnl == D("45")
    assert position.opened_at == 1.0


def test_x4_sell_beyond_held_size_realizes_only_the_held_part():
    after = apply_fill(
        PositionTotals(D("1"), D("10"), D(0), D(0), 1.0),
        FillRow(Side.SELL, D("12"), D("3"), D(0), 2.0),
    )
    assert after.base_size == 0 and after.realized_pnl == D("2")


sizes = st.decimals(min_value=D("0.00000001"), max_value=D("1000"), places=8)
prices = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)


@given(st.lists(st.tuples(st.booleans(), prices, sizes), min_size=1, max_size=40))
def test_x4_size_equals_buys_minus_sells_while_never_negative(trades):
    fills = [
        FillRow(Side.BUY if is_buy else Side.SELL, price, size, D(0), float(i))
        for i, (is_buy, price, size) in enumerate(trades)
    ]
    expected = D(0)
    for fill in fills:
        expected = (
            expected + fill.size if fill.side is Side.BUY else max(D(0), expected - fill.size)
        )
    assert position_from_fills(fills).base_size == expected


@pytest.mark.parametrize("fee", [D("0"), D("0.004"), D("0.006")])
def test_x4_fees_always_reduce_realized_pnl_exactly(fee):
    buy = FillRow(Side.BUY, D("50000"), D("0.01"), D("500") * fee, 1.0)
    after = apply_fill(PositionTotals(), buy)
    assert after.realized_pnl == -(D("500") * fee)
    assert after.fees_paid == D("500") * fee
