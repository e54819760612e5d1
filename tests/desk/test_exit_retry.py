"""R-2, EX-4: an IOC exit the venue takes but cancels (or expires) without a fill counts as a
refusal of the product's exit - learned at its next exit check - so exits that keep ending
unfilled back off and reduce trading like refused ones; a fill of the exit ends them. Real
SQLite, the real state keeper; the intents as the state file stores them."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tests.support.intents import stored_fill, stored_intent
from trader.core.types import Side, TradingState
from trader.desk.exit_retry import ALERT_AFTER, BACKOFF_FIRST_S, EXIT_REJECTED, ExitRetry
from trader.desk.keeper import StateKeeper
from trader.execution import store
from trader.execution.intents import IntentState
from trader.execution.manager import NotSent
from trader.execution.metrics import ExecutionMetrics
from trader.ops.metrics import Metrics
from trader.state.db import Database


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def desk(tmp_path):
    clock = Clock()
    db = await Database.open(tmp_path / "state.db", clock)
    keeper = await StateKeeper.load(db, Metrics(), clock)
    yield ExitRetry(keeper, ExecutionMetrics(Metrics()), clock, db), keeper, db, clock
    await db.close()


async def _taken_then(retry, db, clock, n: int, ended: IntentState, filled: str = "0") -> None:
    """Exit `i<n>` taken by the venue, then ended as `ended` with `filled` sold."""
    taken = replace(
        stored_intent(n, IntentState.OPEN, at=clock(), side=Side.SELL),
        exchange_order_id=f"o{n}",
    )
    await db.run(lambda conn: store.insert_intent(conn, taken))
    await retry.sent("BTC-USD", taken)
    now = clock()

    def end(conn) -> None:
        store.update_fields(conn, f"i{n}", now, filled_size=filled)
        store.move(conn, f"i{n}", ended, now)

    await db.run(end)


@pytest.mark.parametrize("ended", [IntentState.CANCELLED, IntentState.EXPIRED])
async def test_r2_exits_ending_unfilled_back_off_then_reduce_trading(desk, ended):
    retry, keeper, db, clock = desk
    for n in range(1, ALERT_AFTER + 1):
        assert await retry.may_send("BTC-USD")
        await _taken_then(retry, db, clock, n, ended)
        clock.now += 0.5  # the next exit check learns how it ended
        assert not await retry.may_send("BTC-USD")
        clock.now += BACKOFF_FIRST_S * 2 ** (n - 1)
    assert keeper.state is TradingState.REDUCING
    assert keeper.status.halt_reason == EXIT_REJECTED
    assert retry.problems() == [
        f"exit for BTC-USD refused {ALERT_AFTER} times in a row: "
        f"exit i{ALERT_AFTER} {ended.value.lower()} unfilled (limit 100, size 0.01)"
    ]


async def test_r2_a_fill_of_the_exit_ends_its_refusals(desk):
    retry, keeper, db, clock = desk
    await _taken_then(retry, db, clock, 1, IntentState.CANCELLED)
    clock.now += 0.5
    assert not await retry.may_send("BTC-USD")
    clock.now += BACKOFF_FIRST_S
    await _taken_then(retry, db, clock, 2, IntentState.FILLED, filled="0.01")
    await retry.on_fills([stored_fill(2, "o2", Side.SELL, Decimal("0.01"), at=clock())])
    assert await retry.may_send("BTC-USD") and retry.problems() == []
    assert keeper.state is TradingState.ACTIVE


async def test_r2_an_exit_the_rules_make_unfillable_counts_a_missing_quote_does_not(desk):
    retry, keeper, _, clock = desk
    await retry.sent("BTC-USD", NotSent("no quote", by_rules=False))
    assert await retry.may_send("BTC-USD")
    for _ in range(ALERT_AFTER):
        await retry.sent("BTC-USD", NotSent("limit 100 ... is above the bid 90", by_rules=True))
        assert not await retry.may_send("BTC-USD")
        clock.now += 120
    assert keeper.status.halt_reason == EXIT_REJECTED
