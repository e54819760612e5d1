"""One order path for every mode (OPS-2, X-1, X-2): the same decision, acted on by a
DRY_RUN, a PAPER and a LIVE actor, makes the same order request — DRY_RUN records at the
send gate the very bytes LIVE sends to the venue, and PAPER sends the same order.

Each actor is built as the daemon builds it (`Actor.create` from a real config file), over
its own state file, against one in-process simulated venue on loopback, on one fixed clock.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.exchange.support import adapter
from tests.execution.support import quiet_venue
from tests.support.daemon import DaemonDir
from tests.support.intents import stored_fill
from trader.config.loader import load_config
from trader.core.clock import SimClock, wall_clock
from trader.core.decision import ExitOrder, ExitReason, Proposal, Verdict, VerdictAction
from trader.core.market import MarketSnapshot
from trader.core.portfolio import Portfolio
from trader.core.risk_state import RiskState
from trader.core.types import Quote, Side
from trader.desk.act import Actor
from trader.desk.keeper import StateKeeper
from trader.exchange.clock import ClockSync
from trader.ops.metrics import Metrics
from trader.pipeline.decide import DecisionInputs, DecisionStep
from trader.sim.venue import SimVenue
from trader.state import fill_rows
from trader.state.db import Database

PRODUCT = "BTC-USD"
MODES = ("DRY_RUN", "PAPER", "LIVE")
# the parts of a request the decision does not fix: the client order id derives from a
# fresh random intent id in every run
PER_RUN = ("client_order_id",)


def _decision(now: float, entry_size: Decimal, exit_size: Decimal) -> DecisionStep:
    proposal = Proposal(PRODUCT, Side.BUY, "parity", 1.0, "test", quote_notional=Decimal(50))
    step = DecisionStep(DecisionInputs(now, MarketSnapshot({}), Portfolio(), RiskState()))
    step.verdicts = [Verdict(proposal, VerdictAction.APPROVE, base_size=entry_size)]
    step.exits = [ExitOrder("ETH-USD", exit_size, ExitReason.STOP_LOSS, None, Decimal(1), "owner")]
    return step


async def _act(mode: str, root: Path, venue: SimVenue, clock: SimClock) -> list[dict[str, Any]]:
    overrides: dict[str, Any] = {"mode": mode}
    if mode == "LIVE":
        # the actor is handed its adapter (here: to the simulated venue); the config only
        # has to be a valid LIVE one
        overrides["exchange"] = {"read_only": False, "venue": "coinbase"}
    home = DaemonDir(root, overrides)
    loaded = load_config(home.config)
    db = await Database.open(root / "state.db", clock)
    metrics = Metrics()
    try:
        keeper = await StateKeeper.load(db, metrics, clock)
        async with adapter(venue, metrics=metrics) as exchange:
            # the venue's clock (for GTD end times) read on the test's clock too
            exchange.clock = ClockSync(
                exchange.server_time, exchange.metrics, wall=clock, elapsed=clock
            )
            rules = {p.product_id: p for p in await exchange.products([PRODUCT, "ETH-USD"])}
            actor = await Actor.create(loaded, db, metrics, keeper, exchange, rules, clock)
            quotes = {pid: venue.engine.quote(pid) for pid in rules}
            actor.quote = quotes.get
            await actor.open_gate()
            assert actor.reconciled, f"{mode}: the start gate did not open"
            # the exit sells a position the daemon's own fills hold (the exit guard sends
            # no other); the account itself holds no ETH
            held = stored_fill(
                1, "bought", Side.BUY, Decimal("0.01"), at=clock(), product="ETH-USD"
            )
            await db.run(lambda conn: fill_rows.insert_fills(conn, [held], {}, "rest", clock()))
            step = _decision(clock(), Decimal("0.001"), Decimal("0.01"))
            await actor.act(step, "cycle-1", {})
            return await db.run(_intents)
    finally:
        await db.close()


def _intents(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM intents ORDER BY created_at, rowid").fetchall()
    return [dict(r) for r in rows]


def _request(intent: dict[str, Any]) -> dict[str, Any]:
    body = orjson.loads(intent["request_body"])
    return {k: v for k, v in body.items() if k not in PER_RUN}


def _order(intent: dict[str, Any]) -> tuple[Any, ...]:
    return (
        intent["product_id"],
        intent["side"],
        intent["purpose"],
        intent["order_configuration"],
        intent["base_size"],
        intent["limit_price"],
        intent["expires_at"],
    )


@pytest.fixture
async def acted(tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    async with SimVenue(quiet_venue(), clock=wall_clock) as venue:
        clock = SimClock(1_800_000_000.0)
        by_mode: dict[str, list[dict[str, Any]]] = {}
        for mode in MODES:
            (tmp_path / mode).mkdir()
            by_mode[mode] = await _act(mode, tmp_path / mode, venue, clock)
        exit_quote = venue.engine.quote("ETH-USD")
        assert isinstance(exit_quote, Quote)
        by_mode["exit_bid"] = [{"bid": exit_quote.bid}]
        by_mode["at_venue"] = [
            {"client_order_id": o.client_order_id} for o in venue.engine.orders()
        ]
        return by_mode


async def test_ops2_dry_run_records_the_request_live_sends(acted):
    dry, live = acted["DRY_RUN"], acted["LIVE"]
    assert [i["state"] for i in dry] == ["DRY", "DRY"]
    # LIVE sent both: the venue refused the exit (nothing to sell) and holds the entry
    assert [i["state"] for i in live] == ["REJECTED", "OPEN"]
    at_venue = {o["client_order_id"] for o in acted["at_venue"]}
    assert live[1]["client_order_id"] in at_venue
    assert not {i["client_order_id"] for i in dry} & at_venue
    # exit first, then the entry — in every mode
    assert [(i["side"], i["purpose"]) for i in dry] == [("SELL", "exit"), ("BUY", "entry")]
    for recorded, sent in zip(dry, live, strict=True):
        assert _request(recorded) == _request(sent)
        # each body names its own intent's client order id (X-1: the resend sends these bytes)
    for intent in dry + live:
        assert orjson.loads(intent["request_body"])["client_order_id"] == intent["client_order_id"]


async def test_x6_paper_sends_the_order_live_and_dry_run_send(acted):
    orders = {mode: [_order(i) for i in acted[mode]] for mode in MODES}
    assert orders["PAPER"] == orders["LIVE"] == orders["DRY_RUN"]
    # the exit is the bid less the exit slippage cap (config: 50 bps) in every mode, not
    # the bid itself
    bid = acted["exit_bid"][0]["bid"]
    for mode in MODES:
        exit_intent = acted[mode][0]
        assert exit_intent["reason"] == "stop_loss"
        limit = Decimal(exit_intent["limit_price"])
        assert bid * Decimal("0.995") <= limit < bid, mode


async def test_str5_every_intent_names_the_strategy_it_acts_for(acted):
    """STR-5: an entry carries its proposal's strategy, an exit the strategy of the position
    it closes — in every mode."""
    for mode in MODES:
        assert [(i["purpose"], i["strategy"]) for i in acted[mode]] == [
            ("exit", "owner"),
            ("entry", "parity"),
        ], mode
