"""X-1, X-2, X-4: the exit guard — one exit in flight per position, where an exit counts as
in flight until its fills are booked, and no exit larger than the position the daemon's own
fills hold — over every state an earlier exit's intent and fills can be in, and at the
execution engine, which every exit passes (the cycle's, the check between cycles', a
strategy's sell, the kill switch's flatten)."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.execution.support import execution_stack, marketable_buy, quiet_venue
from tests.support.intents import stored_fill, stored_intent
from trader.core.clock import wall_clock
from trader.core.orders import OrderKind
from trader.core.types import Side
from trader.exchange.errors import ExchangeError
from trader.execution import exit_guard, store
from trader.execution.drafts import OrderDraft
from trader.execution.intents import TERMINAL, WORKING, IntentState, Purpose
from trader.sim.venue import SimVenue
from trader.state import fill_rows
from trader.state.db import open_and_migrate
from trader.state.fills import mark_verified

NOW = 1_800_000_000.0
HELD = Decimal("10")
FINISHED = (IntentState.FILLED, IntentState.CANCELLED, IntentState.EXPIRED)
FILLS_PATH = "/api/v3/brokerage/orders/historical/fills"


def _sell(size: Decimal | None, purpose: Purpose = Purpose.EXIT) -> OrderDraft:
    return OrderDraft(
        product_id="BTC-USD",
        side=Side.SELL,
        kind=OrderKind.SOR_LIMIT_IOC,
        purpose=purpose,
        base_size=size,
        limit_price=Decimal(90),
    )


def _state_with_an_exit(
    path: Path, state: IntentState, reported: Decimal, pieces: list[Decimal]
) -> None:
    """A position of HELD bought by intent i1, and exit i2 in `state`: its order reported
    `reported` filled, its fills `pieces` stored; verified as the reconciler marks it."""
    conn = open_and_migrate(path)
    try:
        buy = stored_intent(1, IntentState.FILLED, at=NOW, filled=str(HELD))
        store.insert_intent(conn, buy)
        store.update_fields(conn, "i1", NOW, exchange_order_id="o1")
        fill_rows.insert_fills(
            conn, [stored_fill(0, "o1", Side.BUY, HELD, at=NOW)], {"o1": "i1"}, "rest", NOW
        )
        store.insert_intent(conn, stored_intent(2, state, at=NOW + 1, side=Side.SELL))
        if state is not IntentState.NEW and state is not IntentState.SUBMITTING:
            store.update_fields(conn, "i2", NOW, exchange_order_id="o2")
        fills = [
            stored_fill(n, "o2", Side.SELL, size, at=NOW + n)
            for n, size in enumerate(pieces, start=1)
        ]
        if fills:
            fill_rows.insert_fills(conn, fills, {"o2": "i2"}, "rest", NOW + 2)
        fill_rows.record_progress(conn, "i2", reported, Decimal(0), Decimal(0), NOW + 3)
        if state in FINISHED and exit_guard.fills_booked(conn, "i2", "o2"):
            mark_verified(conn, ["i2"])
    finally:
        conn.close()


sizes = st.decimals(min_value=Decimal("0.01"), max_value=HELD, places=2)


@st.composite
def exits(draw: st.DrawFn) -> tuple[IntentState, Decimal, list[Decimal]]:
    """An earlier exit: its state, the size its order reported filled, the fills stored."""
    state = draw(st.sampled_from(sorted(IntentState, key=lambda s: s.value)))
    may_fill = state in (IntentState.OPEN, IntentState.PARTIALLY_FILLED, *FINISHED)
    reported = draw(sizes) if may_fill and draw(st.booleans()) else Decimal(0)
    pieces: list[Decimal] = []
    left = reported
    while left > 0 and draw(st.booleans()):
        piece = draw(st.decimals(min_value=Decimal("0.01"), max_value=left, places=2))
        pieces.append(piece)
        left -= piece
    return state, reported, pieces


@settings(max_examples=150, deadline=None)
@given(earlier=exits(), size=st.decimals(min_value=Decimal("0.01"), max_value=25, places=2))
def test_x2_a_new_exit_is_refused_exactly_while_one_is_in_flight_or_beyond_the_position(
    earlier: tuple[IntentState, Decimal, list[Decimal]], size: Decimal
) -> None:
    state, reported, pieces = earlier
    stored = sum(pieces, Decimal(0))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.db"
        _state_with_an_exit(path, state, reported, pieces)
        conn = open_and_migrate(path)
        try:
            refusal = exit_guard.refusal(conn, _sell(size))
            in_flight = exit_guard.exit_in_flight(conn, "BTC-USD")
            buy = exit_guard.refusal(conn, marketable_draft(size))
        finally:
            conn.close()
    unbooked = state in TERMINAL and stored < reported
    assert in_flight is (state in WORKING or unbooked)
    held = HELD - stored
    if state in WORKING or unbooked:
        assert refusal is not None and "BTC-USD" in refusal
    elif size > held:  # the position as stored: 0.00 sold off is written 0
        assert refusal is not None and "exceeds the " in refusal
        assert Decimal(refusal.split("exceeds the ")[1].split()[0]) == held
    else:
        assert refusal is None
    assert buy is None  # entries are not exits


def marketable_draft(size: Decimal) -> OrderDraft:
    return OrderDraft("BTC-USD", Side.BUY, OrderKind.SOR_LIMIT_IOC, Purpose.ENTRY, size)


def test_x2_a_sell_without_a_base_size_is_refused(conn) -> None:
    assert "without a base size" in (exit_guard.refusal(conn, _sell(None)) or "")


def test_x2_the_unbooked_exit_search_reads_the_unverified_intents_not_the_history(conn):
    """Asked at every price update for every held product: the search goes by the few
    finished intents whose fills are not verified yet, never every SELL ever made."""
    for n in range(1, 300):
        store.insert_intent(conn, stored_intent(n, IntentState.FILLED, at=NOW + n, side=Side.SELL))
    mark_verified(conn, [f"i{n}" for n in range(1, 300)])
    plans: list[str] = []
    conn.set_trace_callback(plans.append)
    assert exit_guard.unbooked_exit(conn, "BTC-USD") is None
    conn.set_trace_callback(None)
    (sql,) = plans
    steps = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    assert len(steps) == 1 and "USING INDEX intents_unverified" in steps[0], steps


async def _sold(s, size: str, purpose: Purpose = Purpose.EXIT):
    quote = s.venue.engine.quote("BTC-USD")
    draft = _sell(Decimal(size), purpose)
    price = (quote.bid * Decimal("0.99")).quantize(Decimal("0.01"))
    return await s.engine.place(
        OrderDraft(
            draft.product_id, draft.side, draft.kind, draft.purpose, draft.base_size, None, price
        )
    )


async def test_x2_the_engine_sends_one_exit_until_its_fills_are_booked_never_outside_coins(
    tmp_path,
):
    """The account holds 1 BTC of the user's own; the daemon bought 0.002. An exit that
    filled at the venue but whose fills the fill endpoint has not given yet keeps every
    other SELL of the product from being sent — the flatten too; once booked, a SELL is
    bounded by the 0 BTC the daemon's fills now hold, whatever the account holds."""
    balances = {"USD": Decimal(100000), "BTC": Decimal(1)}
    venue = SimVenue(quiet_venue(balances=balances), clock=wall_clock)
    await venue.start()
    try:
        async with execution_stack(tmp_path, venue) as s:
            bought = await s.engine.place(marketable_buy(s.venue, size="0.002"))
            await s.tracker.refresh_order(bought.exchange_order_id)
            first = await _sold(s, "0.002")
            assert first.state is IntentState.OPEN  # accepted; the user channel is not read
            assert "still working" in (await _sold(s, "0.002")).reject_reason
            s.venue.faults.add("http_5xx", status=503, path_prefix=FILLS_PATH)  # until cleared
            with pytest.raises(ExchangeError):  # FILLED is stored, then the fill read fails
                await s.tracker.refresh_order(first.exchange_order_id)
            s.venue.faults.clear()
            moved = await s.db.run(lambda conn: store.get_intent(conn, first.intent_id))
            assert moved.state is IntentState.FILLED and moved.filled_size == Decimal("0.002")
            for purpose in (Purpose.EXIT, Purpose.FLATTEN):
                refused = await _sold(s, "0.002", purpose)
                assert refused.state is IntentState.CANCELLED
                assert "not all stored" in refused.reject_reason
            await s.tracker.sync_fills(order_ids=[first.exchange_order_id])
            beyond = await _sold(s, "0.001")
            assert "exceeds the 0" in beyond.reject_reason and "fills hold" in beyond.reject_reason
            sent = [o for o in s.venue.engine.orders() if o.side is Side.SELL]
            assert [o.client_order_id for o in sent] == [first.client_order_id]
    finally:
        await venue.stop()
    btc = next(b for b in venue.engine.balances() if b.currency == "BTC")
    assert btc.available + btc.hold == Decimal(1)
