"""R-5, R-2, X-4: the desk's waits. The actor is built as the daemon builds it
(`Actor.create`, LIVE, over the real adapter and an in-process simulated venue).

They are measured on its timer, never on the wall clock: with the daemon's wall clock
stepped back and forward (NTP, an operator, a VM resumed) while the timer runs on, a stale
balance read stands in no longer than `execution.balance_max_age_s` of it, a refused
exit's backoff ends when it has run, an order's missing fills are reported
`execution.fills_missing_after_s` after they were first found short.

And no caller gets around them: the cycle's exits and the between-cycles exit check run
side by side, and a product's exit is decided by one of them at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal

import pytest
import structlog

from tests.exchange.support import adapter
from tests.execution.support import quiet_venue
from tests.support.intents import stored_intent
from trader.config.loader import load_config
from trader.core.clock import wall_clock
from trader.core.decision import ExitOrder, ExitReason
from trader.core.types import Side, TradingState
from trader.desk.act import Actor
from trader.desk.exit_retry import BACKOFF_FIRST_S
from trader.desk.keeper import StateKeeper
from trader.execution import store
from trader.execution.intents import IntentState
from trader.ops.metrics import Metrics
from trader.sim.venue import SimVenue
from trader.state.db import Database

MAX_AGE_S = 60
MISSING_AFTER_S = 30
STEPS_S = (-3600.0, -300.0, -5.0, 5.0, 300.0, 3600.0)


class Clocks:
    """The daemon's wall clock (true time, stepped by `step_s`) and its timer."""

    def __init__(self) -> None:
        self.step_s = 0.0
        self.elapsed_s = 1000.0

    def wall(self) -> float:
        return wall_clock() + self.step_s

    def timer(self) -> float:
        return self.elapsed_s


@pytest.fixture
async def desk(repo_root, tmp_path) -> AsyncIterator[tuple[Actor, Clocks, Database, SimVenue]]:
    overrides = {
        "app.mode": "LIVE",
        "app.exchange.read_only": False,
        "app.exchange.venue": "coinbase",
        "app.execution.balance_max_age_s": MAX_AGE_S,
        "app.execution.fills_missing_after_s": MISSING_AFTER_S,
    }
    loaded = load_config(repo_root / "app.yaml.example", overrides)
    clocks = Clocks()
    async with SimVenue(quiet_venue(), clock=wall_clock) as venue:
        db = await Database.open(tmp_path / "state.db", clocks.wall)
        metrics = Metrics()
        try:
            keeper = await StateKeeper.load(db, metrics, clocks.wall)
            async with adapter(venue, metrics=metrics) as exchange:
                yield (
                    await Actor.create(
                        loaded, db, metrics, keeper, exchange, {}, clocks.wall, clocks.timer
                    ),
                    clocks,
                    db,
                    venue,
                )
        finally:
            await db.close()


@pytest.mark.parametrize("step_s", STEPS_S)
async def test_r5_a_stale_balance_read_stands_in_for_its_age_whatever_the_wall_clock_does(
    desk, step_s
):
    actor, clocks, _db, venue = desk
    cash, known = await actor.cash()
    assert known
    usd = venue.engine.accounts.total.pop("USD")  # the listing leaves USD out
    clocks.step_s = step_s
    clocks.elapsed_s += MAX_AGE_S - 1
    assert await actor.cash() == (cash, True)  # within its age: the last read
    clocks.elapsed_s += 2
    assert await actor.cash() == ({}, False)  # past it: unknown
    venue.engine.accounts.total["USD"] = usd


@pytest.mark.parametrize("step_s", STEPS_S)
async def test_r2_a_refused_exit_backs_off_for_its_backoff_whatever_the_wall_clock_does(
    desk, step_s
):
    actor, clocks, _db, _venue = desk
    retry = actor.desk.exit_retry
    refused = stored_intent(1, IntentState.REJECTED, at=clocks.wall(), side=Side.SELL)
    await retry.sent("BTC-USD", refused)
    clocks.step_s = step_s
    assert not await retry.may_send("BTC-USD")
    clocks.elapsed_s += BACKOFF_FIRST_S
    assert await retry.may_send("BTC-USD")


@pytest.mark.parametrize("step_s", STEPS_S)
async def test_x4_missing_fills_are_reported_after_their_bound_whatever_the_wall_clock_does(
    desk, step_s
):
    actor, clocks, db, _venue = desk
    exit_ = stored_intent(1, IntentState.FILLED, at=clocks.wall(), side=Side.SELL, filled="0.01")
    await db.run(lambda conn: store.insert_intent(conn, exit_))
    missing = actor.desk.missing_fills
    await missing.observe({"o1": "i1"})
    clocks.step_s = step_s
    clocks.elapsed_s += MISSING_AFTER_S - 1
    await missing.observe({"o1": "i1"})
    assert missing.problems() == []
    clocks.elapsed_s += 1
    await missing.observe({"o1": "i1"})
    assert [p.split(": ", 1)[0] for p in missing.problems()] == [
        f"fills missing for {MISSING_AFTER_S} s"
    ]


@pytest.mark.parametrize("callers", [2, 3])
async def test_r2_a_products_exit_is_decided_by_one_caller_at_a_time(desk, callers):
    """Exits the product's rules refuse (cancel-only), asked for by several callers at
    once: one refusal, its backoff holds the others (never one refusal per caller, which
    moved trading to REDUCING after a single backoff)."""
    actor, _clocks, _db, venue = desk
    listed = {p.product_id: p for p in await actor.exchange.products(["BTC-USD"])}
    actor.rules["BTC-USD"] = replace(listed["BTC-USD"], cancel_only=True)
    actor.quote = venue.engine.quote
    exit_ = ExitOrder("BTC-USD", Decimal("0.01"), ExitReason.STOP_LOSS, None, Decimal(1), "owner")
    with structlog.testing.capture_logs() as logs:
        await asyncio.gather(*(actor.exit_positions([exit_], None) for _ in range(callers)))
    refused = [e["refusals"] for e in logs if e["event"] == "exit_refused_backing_off"]
    assert refused == [1]
    assert actor.desk.keeper.state is TradingState.ACTIVE
