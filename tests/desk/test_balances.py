"""R-5: a balance read that leaves out the quote currency is not a zero. The desk's balance
reader over the real adapter and an in-process simulated venue whose USD account is gone
from the listing: the last read stands in up to its age, then balances are unknown (no
sizing, no loss-limit verdict), said once; the listing complete again, they are known."""

from __future__ import annotations

from decimal import Decimal

import structlog

from tests.exchange.support import adapter
from tests.execution.support import quiet_venue
from trader.config.loader import load_config
from trader.core.clock import wall_clock
from trader.desk.act import Actor
from trader.desk.keeper import StateKeeper
from trader.ops.metrics import Metrics
from trader.sim.venue import SimVenue
from trader.state.db import Database


async def test_r5_a_listing_without_the_quote_account_makes_balances_unknown(repo_root, tmp_path):
    loaded = load_config(repo_root / "app.yaml.example", {"app.execution.balance_max_age_s": 60})
    venue = SimVenue(quiet_venue(), clock=wall_clock)
    await venue.start()
    now = [1_800_000_000.0]
    db = await Database.open(tmp_path / "state.db", wall_clock)
    metrics = Metrics()
    try:
        keeper = await StateKeeper.load(db, metrics, wall_clock)
        async with adapter(venue, metrics=metrics) as exchange:
            actor = await Actor.create(
                loaded, db, metrics, keeper, exchange, {}, wall_clock, timer=lambda: now[0]
            )
            cash, known = await actor.cash()
            assert known and cash["USD"] == Decimal(100000)
            totals = venue.engine.accounts.total
            usd = totals.pop("USD")  # the venue's listing leaves the USD account out
            with structlog.testing.capture_logs() as logs:
                assert await actor.cash() == (cash, True)  # the last read, within its age
                now[0] += 61
                assert await actor.cash() == ({}, False)
                assert await actor.cash() == ({}, False)
            assert [e["event"] for e in logs] == [
                "accounts_unavailable_using_last_read",
                "balances_unknown",
            ]
            assert logs[0]["error"] == "accounts: the venue lists no USD account"
            totals["USD"] = usd
            cash, known = await actor.cash()
            assert known and cash["USD"] == Decimal(100000)
    finally:
        await db.close()
        await venue.stop()
