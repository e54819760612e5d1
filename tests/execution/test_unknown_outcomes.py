"""X-7: only proof ends an unknown outcome. A resend answered by a 429, a 4xx, a 5xx or
nothing leaves the intent SUBMITTING; the venue's order (found by a resend or a lookup by
client id) or a lookup that shows it absent after the venue's window ends it. Against the
simulated venue through the real adapter."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tests.execution.support import ORDERS_PATH, execution_stack, marketable_buy, resting_buy
from trader.core.clock import wall_clock
from trader.execution import store
from trader.execution.intents import IntentState

LIST_PATH = "/api/v3/brokerage/orders/historical/batch"
WALL_CLOCK_STEPS_S = (-3600.0, -300.0, -5.0, 5.0, 300.0, 3600.0)  # NTP, an operator, a VM resume


class SteppedClock:
    """The daemon's wall clock, stepped by `offset_s` (the venue keeps the true time)."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def __call__(self) -> float:
        return wall_clock() + self.offset_s


async def _intent(stack, intent_id):
    return await stack.db.run(lambda conn: store.get_intent(conn, intent_id))


async def _stored_fills(stack, order_id):
    return await stack.db.run(
        lambda conn: sorted(
            r[0] for r in conn.execute("SELECT trade_id FROM fills WHERE order_id = ?", (order_id,))
        )
    )


def _lose_the_answer(stack) -> None:
    """The venue creates (and fills) the order; the answer never arrives."""
    stack.venue.faults.add(
        "timeout_after_accept", count=1, path_prefix=ORDERS_PATH, method="POST", mode="drop"
    )


async def test_x7_429_answering_a_resend_keeps_the_filled_order_and_its_fills(tmp_path):
    async with execution_stack(tmp_path) as s:
        _lose_the_answer(s)
        s.venue.faults.add("http_429", count=1, method="POST", on_resend=True)
        intent = await s.engine.place(marketable_buy(s.venue, size="0.01"))
        assert intent.state is IntentState.SUBMITTING
        await s.engine.resolve_pending(force=True)  # answered 429: proves nothing
        assert (await _intent(s, intent.intent_id)).state is IntentState.SUBMITTING
        assert s.venue.faults.counts["http_429_on_resend"] == 1
        await asyncio.sleep(0.3)
        assert await s.engine.resolve_pending() == 0
        order_id = s.venue.engine.orders()[0].order_id
        await s.tracker.refresh_order(order_id)
        done = await _intent(s, intent.intent_id)
        assert done.state is IntentState.FILLED and done.exchange_order_id == order_id
        assert done.filled_size == Decimal("0.01")
        venue_fills = sorted(f.trade_id for f in s.venue.engine.fills())
        assert await _stored_fills(s, order_id) == venue_fills
        assert s.ledger_client_ids() == [intent.client_order_id]


async def test_x7_4xx_answering_a_resend_waits_for_the_lookup_which_finds_the_order(tmp_path):
    async with execution_stack(tmp_path) as s:
        _lose_the_answer(s)
        s.venue.faults.add("http_4xx", status=400, error="INVALID_ARGUMENT", on_resend=True)
        intent = await s.engine.place(marketable_buy(s.venue, size="0.01"))
        await s.engine.resolve_pending(force=True)
        waiting = await _intent(s, intent.intent_id)
        assert waiting.state is IntentState.SUBMITTING  # a refused resend is not proof
        assert "resend answered INVALID_ARGUMENT" in (await _last_error(s, intent.intent_id))
        await s.engine.resolve_pending()  # inside the venue's window: no resend, no verdict
        assert s.venue.faults.counts["http_4xx_on_resend"] == 1
        await asyncio.sleep(0.35)
        assert await s.engine.resolve_pending() == 0
        order_id = s.venue.engine.orders()[0].order_id
        found = await _intent(s, intent.intent_id)
        assert found.state is IntentState.FILLED and found.exchange_order_id == order_id
        assert await _stored_fills(s, order_id) == sorted(
            f.trade_id for f in s.venue.engine.fills()
        )
        assert s.ledger_client_ids() == [intent.client_order_id]


async def test_x7_absence_is_proven_only_by_a_lookup_after_the_window(tmp_path):
    async with execution_stack(tmp_path) as s:
        s.venue.faults.add("http_5xx", count=1, path_prefix=ORDERS_PATH, method="POST")
        s.venue.faults.add("http_4xx", status=400, on_resend=True)
        intent = await s.engine.place(resting_buy(s.venue))
        await s.engine.resolve_pending(force=True)
        assert (await _intent(s, intent.intent_id)).state is IntentState.SUBMITTING
        s.venue.faults.add("http_5xx", path_prefix=LIST_PATH)  # the lookup cannot be read
        await asyncio.sleep(0.35)
        await s.engine.resolve_pending()
        assert (await _intent(s, intent.intent_id)).state is IntentState.SUBMITTING
        s.venue.faults.clear()
        s.venue.faults.add("http_4xx", status=400, on_resend=True)
        assert await s.engine.resolve_pending() == 0
        absent = await _intent(s, intent.intent_id)
        assert absent.state is IntentState.REJECTED
        assert "absent at the venue" in absent.reject_reason
        assert s.ledger_client_ids() == []


async def test_x7_a_first_send_refused_is_a_definite_rejection(tmp_path):
    async with execution_stack(tmp_path) as s:
        s.venue.faults.add("http_4xx", count=1, status=400, path_prefix=ORDERS_PATH)
        intent = await s.engine.place(resting_buy(s.venue))
        assert intent.state is IntentState.REJECTED and s.ledger_client_ids() == []


async def test_x7_429_on_a_first_send_is_resent_not_rejected(tmp_path):
    async with execution_stack(tmp_path) as s:
        s.venue.faults.add("http_429", count=1, path_prefix=ORDERS_PATH, method="POST")
        intent = await s.engine.place(resting_buy(s.venue))
        assert intent.state is IntentState.SUBMITTING
        assert await s.engine.resolve_pending(force=True) == 0
        assert (await _intent(s, intent.intent_id)).state is IntentState.OPEN
        assert s.ledger_client_ids() == [intent.client_order_id]


async def test_x7_venue_order_overrules_a_rejected_intent(tmp_path):
    """An intent recorded as REJECTED (by an older release, say) whose order the venue
    reports: the venue is the truth — the intent follows it and keeps its fills."""
    async with execution_stack(tmp_path) as s:
        intent = await s.engine.place(marketable_buy(s.venue, size="0.01"))
        order_id = intent.exchange_order_id
        await s.db.run(
            lambda conn: conn.execute(
                "UPDATE intents SET state = 'REJECTED' WHERE intent_id = ?", (intent.intent_id,)
            )
        )
        await s.tracker.refresh_order(order_id)
        healed = await _intent(s, intent.intent_id)
        assert healed.state is IntentState.FILLED and healed.filled_size == Decimal("0.01")
        audit = await s.db.run(
            lambda conn: conn.execute(
                "SELECT ref_id FROM audit_events WHERE kind = 'rejection_overruled'"
            ).fetchall()
        )
        assert [row[0] for row in audit] == [intent.intent_id]


async def _last_error(stack, intent_id) -> str:
    row = await stack.db.run(
        lambda conn: conn.execute(
            "SELECT last_error FROM intents WHERE intent_id = ?", (intent_id,)
        ).fetchone()
    )
    return str(row[0])


async def test_x4_stored_fills_raise_the_intent_whatever_updates_were_missed(tmp_path):
    """The order's updates never reach the tracker (dropped, or the process stopped between
    a fill and its update) and a cancel is recorded first: the fills the reconcile stores
    still bring the intent to what the venue filled (seen in a chaos run: a CANCELLED
    intent left at its first fill's size while the venue had filled two)."""
    async with execution_stack(tmp_path) as s:
        intent = await s.engine.place(marketable_buy(s.venue, size="0.05"))
        order = s.venue.engine.orders()[0]
        assert order.filled_size > 0 and intent.filled_size == 0  # only the accept was seen
        await s.db.run(lambda conn: store.move(conn, intent.intent_id, IntentState.CANCELLED, 0.0))
        await s.reconciler.run(startup=False)
        done = await _intent(s, intent.intent_id)
        assert done.state is IntentState.CANCELLED
        assert done.filled_size == order.filled_size
        venue_fills = [f for f in s.venue.engine.fills() if f.order_id == order.order_id]
        assert done.fees == sum((f.commission for f in venue_fills), Decimal(0))
        assert await _stored_fills(s, order.order_id) == sorted(f.trade_id for f in venue_fills)


@pytest.mark.parametrize("step_s", WALL_CLOCK_STEPS_S)
async def test_x7_a_wall_clock_step_neither_ends_the_absence_window_early_nor_holds_it(
    tmp_path, step_s
):
    """The lookup that settles a refused resend waits `absence_proof_s` of real time after
    the last send: a step forward does not make a venue that has not listed the order yet
    look like proof of its absence, a step back does not hold the verdict for its length."""
    clock = SteppedClock()
    async with execution_stack(tmp_path, clock=clock) as s:
        _lose_the_answer(s)
        s.venue.faults.add("http_4xx", status=400, error="INVALID_ARGUMENT", on_resend=True)
        intent = await s.engine.place(marketable_buy(s.venue, size="0.01"))
        await s.engine.resolve_pending(force=True)  # the resend refused: no proof either way
        clock.offset_s = step_s
        await s.engine.resolve_pending()
        assert (await _intent(s, intent.intent_id)).state is IntentState.SUBMITTING
        await asyncio.sleep(0.35)  # the window (0.3 s) has passed
        assert await s.engine.resolve_pending() == 0
        found = await _intent(s, intent.intent_id)
        assert found.state is IntentState.FILLED
        assert found.exchange_order_id == s.venue.engine.orders()[0].order_id
        assert s.ledger_client_ids() == [intent.client_order_id]


@pytest.mark.parametrize("step_s", WALL_CLOCK_STEPS_S)
async def test_x1_a_wall_clock_step_does_not_hold_the_resend_of_an_unknown_outcome(
    tmp_path, step_s
):
    clock = SteppedClock()
    async with execution_stack(tmp_path, clock=clock) as s:
        _lose_the_answer(s)
        intent = await s.engine.place(resting_buy(s.venue))
        assert intent.state is IntentState.SUBMITTING
        clock.offset_s = step_s
        await asyncio.sleep(0.1)  # past the first backoff (0.05 s)
        assert await s.engine.resolve_pending() == 0
        resolved = await _intent(s, intent.intent_id)
        assert resolved.state is IntentState.OPEN and resolved.attempts == 2
        assert s.ledger_client_ids() == [intent.client_order_id]
