"""X-1, X-4, X-5, OPS-4 against the simulated venue through the real adapter."""

from __future__ import annotations

from decimal import Decimal

from tests.execution.support import ORDERS_PATH, execution_stack, marketable_buy, resting_buy
from trader.core.orders import OrderRequest
from trader.core.types import Side
from trader.execution import store
from trader.execution.intents import IntentState
from trader.state.fills import load_baseline


async def _intent(stack, intent_id):
    return await stack.db.run(lambda conn: store.get_intent(conn, intent_id))


async def test_x1_intent_committed_before_send_and_accepted_once(tmp_path):
    async with execution_stack(tmp_path) as s:
        intent = await s.engine.place(resting_buy(s.venue))
        assert intent.state is IntentState.OPEN and intent.exchange_order_id
        assert s.ledger_client_ids() == [intent.client_order_id]
        assert s.ids.is_own(intent.client_order_id)
        assert intent.request_body and b'"post_only":true' in intent.request_body


async def test_x1_timeout_after_accept_stays_submitting_then_resend_returns_the_same_order(
    tmp_path,
):
    async with execution_stack(tmp_path) as s:
        s.venue.faults.add(
            "timeout_after_accept", count=1, path_prefix=ORDERS_PATH, method="POST", hold_s=3.0
        )
        intent = await s.engine.place(resting_buy(s.venue))
        assert intent.state is IntentState.SUBMITTING  # never FAILED without a definite answer
        assert s.ledger_client_ids() == [intent.client_order_id]  # the venue did create it
        left = await s.engine.resolve_pending(force=True)
        assert left == 0
        resolved = await _intent(s, intent.intent_id)
        assert resolved.state is IntentState.OPEN
        assert resolved.exchange_order_id == s.venue.engine.orders()[0].order_id
        assert s.ledger_client_ids() == [intent.client_order_id]  # exactly one order
        assert resolved.attempts == 2


async def test_x1_5xx_without_create_is_unknown_and_the_resend_creates_exactly_one(tmp_path):
    async with execution_stack(tmp_path) as s:
        s.venue.faults.add("http_5xx", status=503, count=1, path_prefix=ORDERS_PATH, method="POST")
        intent = await s.engine.place(resting_buy(s.venue))
        assert intent.state is IntentState.SUBMITTING
        assert s.ledger_client_ids() == []
        assert await s.engine.resolve_pending(force=True) == 0
        assert (await _intent(s, intent.intent_id)).state is IntentState.OPEN
        assert s.ledger_client_ids() == [intent.client_order_id]


async def test_x1_definite_rejection_is_rejected_with_reason(tmp_path):
    async with execution_stack(tmp_path) as s:
        draft = resting_buy(s.venue, size="1000")  # far beyond the USD balance
        intent = await s.engine.place(draft)
        assert intent.state is IntentState.REJECTED
        assert "INSUFFICIENT_FUND" in (intent.reject_reason or "")
        assert s.ledger_client_ids() == []


async def test_st2_new_intent_is_closed_at_restart_never_sent(tmp_path):
    async with execution_stack(tmp_path) as s:
        intent = s.engine.build(resting_buy(s.venue))
        await s.db.run(lambda conn: store.insert_intent(conn, intent))
        assert await s.engine.close_unsent() == 1
        closed = await _intent(s, intent.intent_id)
        assert closed.state is IntentState.CANCELLED and "never sent" in closed.reject_reason
        assert s.ledger_client_ids() == []


async def test_x1_send_gate_refuses_while_halted(tmp_path):
    async with execution_stack(tmp_path, allow_send=False) as s:
        intent = await s.engine.place(resting_buy(s.venue))
        assert intent.state is IntentState.CANCELLED and "halted" in intent.reject_reason
        assert s.ledger_client_ids() == []


async def test_x4_fills_recorded_once_and_position_equals_venue_balance(tmp_path):
    async with execution_stack(tmp_path) as s:
        intent = await s.engine.place(marketable_buy(s.venue, size="0.01"))
        order_id = intent.exchange_order_id
        await s.tracker.refresh_order(order_id)
        await s.tracker.refresh_order(order_id)  # a second report must not double-count
        await s.tracker.sync_fills(order_ids=[order_id])
        done = await _intent(s, intent.intent_id)
        assert done.state is IntentState.FILLED and done.filled_size == Decimal("0.01")
        venue_fills = [f for f in s.venue.engine.fills() if f.order_id == order_id]
        stored = await s.db.run(
            lambda conn: conn.execute(
                "SELECT trade_id, size FROM fills WHERE order_id = ?", (order_id,)
            ).fetchall()
        )
        assert sorted(r[0] for r in stored) == sorted(f.trade_id for f in venue_fills)
        position = await s.db.run(
            lambda conn: conn.execute(
                "SELECT base_size FROM positions WHERE product_id = 'BTC-USD'"
            ).fetchone()
        )
        btc = next(b for b in s.venue.engine.balances() if b.currency == "BTC")
        assert Decimal(position[0]) == btc.available + btc.hold == Decimal("0.01")


async def test_ops4_cancel_all_cancels_every_own_order_in_batches_of_100(tmp_path):
    async with execution_stack(tmp_path) as s:
        for i in range(120):
            await s.engine.place(
                resting_buy(s.venue, size="0.0001", below=Decimal("0.9") - Decimal(i) / 1000)
            )
        assert len(s.venue_open_own()) == 120
        cancelled = await s.cancel_all.run("test")
        assert cancelled == 120 and s.venue_open_own() == []
        states = await s.db.run(
            lambda conn: conn.execute(
                "SELECT state, COUNT(*) FROM intents GROUP BY state"
            ).fetchall()
        )
        assert dict(states) == {"CANCELLED": 120}


async def test_ops4_cancel_all_also_cancels_an_order_whose_create_answer_was_lost(tmp_path):
    async with execution_stack(tmp_path) as s:
        s.venue.faults.add(
            "timeout_after_accept", count=1, path_prefix=ORDERS_PATH, method="POST", hold_s=3.0
        )
        intent = await s.engine.place(resting_buy(s.venue))
        assert intent.state is IntentState.SUBMITTING and len(s.venue_open_own()) == 1
        await s.cancel_all.run("kill_switch")
        assert s.venue_open_own() == []
        assert (await _intent(s, intent.intent_id)).state is IntentState.CANCELLED
        assert s.ledger_client_ids() == [intent.client_order_id]


async def test_x5_reconcile_adopts_own_orders_and_reports_balances_beyond_tolerance(tmp_path):
    async with execution_stack(tmp_path) as s:
        first = await s.reconciler.run(startup=True)
        assert first.ok and first.mismatches == []
        intent = await s.engine.place(marketable_buy(s.venue, size="0.01"))
        await s.db.run(
            lambda conn: conn.execute(  # the daemon "missed" this order's answer
                "UPDATE intents SET exchange_order_id = NULL, state = 'SUBMITTING' "
                "WHERE intent_id = ?",
                (intent.intent_id,),
            )
        )
        report = await s.reconciler.run(startup=True)
        assert report.ok, report.as_dict()
        stored = await s.db.run(
            lambda conn: [r[0] for r in conn.execute("SELECT trade_id FROM fills")]
        )
        assert sorted(stored) == sorted(f.trade_id for f in s.venue.engine.fills())
        settled = await _intent(s, intent.intent_id)
        assert settled.state is IntentState.FILLED and s.ledger_client_ids() == [
            intent.client_order_id
        ]
        manual = marketable_buy(s.venue, size="0.002")  # someone trades by hand on the account
        await s.exchange.create_order(
            OrderRequest(
                "manual-1",
                manual.product_id,
                Side.BUY,
                manual.kind,
                base_size=manual.base_size,
                limit_price=manual.limit_price,
            )
        )
        drifted = await s.reconciler.run(startup=False)
        assert not drifted.ok
        assert {m.split(":")[0] for m in drifted.mismatches} == {"BTC", "USD"}


async def test_x5_foreign_orders_are_reported_and_left_alone(tmp_path):
    async with execution_stack(tmp_path) as s:
        draft = resting_buy(s.venue)
        foreign = OrderRequest(
            "manual-order-1",
            draft.product_id,
            Side.BUY,
            draft.kind,
            base_size=draft.base_size,
            limit_price=draft.limit_price,
            post_only=True,
        )
        await s.exchange.create_order(foreign)
        report = await s.reconciler.run(startup=True)
        assert len(report.foreign_open) == 1 and report.own_open == 0
        await s.cancel_all.run("test")
        assert [o.status.value for o in s.venue.engine.orders()] == ["OPEN"]


async def test_ops5_each_intent_state_reached_is_counted_once_per_intent(tmp_path):
    async with execution_stack(tmp_path) as s:

        def counted(state: str) -> float:
            value = s.metrics.registry.get_sample_value("trader_orders_total", {"state": state})
            return value or 0.0

        first = await s.engine.place(resting_buy(s.venue))
        second = await s.engine.place(resting_buy(s.venue, size="0.002"))
        assert first.exchange_order_id is not None and second.state is IntentState.OPEN
        assert (counted("SUBMITTING"), counted("OPEN"), counted("CANCELLED")) == (2, 2, 0)
        await s.exchange.cancel_orders([first.exchange_order_id])
        await s.tracker.refresh_order(first.exchange_order_id)
        await s.tracker.refresh_order(first.exchange_order_id)  # seen again: no second move
        assert (counted("SUBMITTING"), counted("OPEN"), counted("CANCELLED")) == (2, 2, 1)


async def test_r5_reconcile_calls_a_currency_left_out_of_the_listing_unsettled_not_zero(tmp_path):
    async with execution_stack(tmp_path) as s:
        totals = s.venue.engine.accounts.total
        usd = totals.pop("USD")  # a fresh state's first listing without the quote currency
        first = await s.reconciler.run(startup=True)
        assert first.unsettled and first.mismatches == []
        assert await s.db.run(load_baseline) is None  # no baseline recorded from it
        totals["USD"] = usd
        assert (await s.reconciler.run(startup=True)).ok
        await s.engine.place(marketable_buy(s.venue, size="0.01"))
        assert (await s.reconciler.run(startup=False)).ok
        btc = totals.pop("BTC")  # the venue's listing leaves the BTC account out
        report = await s.reconciler.run(startup=False)
        assert report.mismatches == [] and report.unsettled and report.ok
        totals["BTC"] = btc
        report = await s.reconciler.run(startup=False)
        assert report.ok and not report.unsettled
