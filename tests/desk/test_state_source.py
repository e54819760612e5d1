"""R-1, R-3, BT-1: the backtest's cached state reads again exactly when what it holds can
have changed — a write to the state file, a move of the balances, a cooldown's end, an
entry leaving the 24 h — and returns the stored pair otherwise; the positions alone are
read again exactly after a write."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import pytest

from tests.support.intents import stored_intent
from trader.core.clock import SimClock
from trader.core.risk_state import Cooldown, RiskState
from trader.core.types import Side
from trader.desk.keeper import StateKeeper
from trader.desk.snapshot import DAY_S
from trader.desk.state_source import CachedState, StoredState
from trader.execution import store
from trader.execution.intents import IntentState
from trader.matching.accounts import Accounts
from trader.ops.metrics import Metrics
from trader.state.cooldowns import save_cooldowns
from trader.state.db import Database
from trader.state.portfolio import write_risk_counters

NOW = 1_800_000_000.0


class AccountsCash:
    """The paper exchange's side of `cash()`: available balances of real accounts."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self.reads = 0

    async def cash(self) -> tuple[dict[str, Decimal], bool]:
        self.reads += 1
        return {b.currency: b.available for b in self.accounts.balances()}, True


@pytest.fixture
async def source(tmp_path):
    clock = SimClock(NOW)
    db = Database.open_scratch(tmp_path / "bt.db", clock)
    keeper = await StateKeeper.load(db, Metrics(), clock)
    accounts = Accounts({"USD": Decimal(1000)}, {"USD", "BTC"})
    cash = AccountsCash(accounts)
    cached = CachedState(StoredState(db, keeper, cash, "USD"), db, accounts)
    yield cached, db, accounts, cash
    await db.close()


async def test_nothing_changed_returns_the_same_pair_without_reading(source):
    cached, _db, _accounts, cash = source
    first = await cached.read(NOW)
    assert await cached.read(NOW + 1) == first
    assert await cached.read(NOW + 3600) == first
    assert cash.reads == 1


async def test_a_write_to_the_state_file_is_read_at_the_next_read(source):
    cached, db, _accounts, _cash = source
    await cached.read(NOW)
    cooldown = {"BTC-USD": Cooldown(until=NOW + 600, reason="loss")}
    await db.run(lambda conn: save_cooldowns(conn, cooldown, 1, NOW))
    _portfolio, risk = await cached.read(NOW + 1)
    assert risk.cooldowns == cooldown
    assert risk.consecutive_losses == 1


async def test_a_write_that_fails_half_way_still_counts_as_a_write(source):
    cached, db, _accounts, _cash = source
    await cached.read(NOW)

    def write_then_fail(conn):
        save_cooldowns(conn, {"ETH-USD": Cooldown(until=NOW + 600, reason="loss")}, 0, NOW)
        raise ValueError("after the write")

    with pytest.raises(ValueError):
        await db.run(write_then_fail)
    _portfolio, risk = await cached.read(NOW + 1)
    assert "ETH-USD" in risk.cooldowns


async def test_a_move_of_the_balances_is_read_at_the_next_read(source):
    cached, _db, accounts, _cash = source
    await cached.read(NOW)
    accounts.change_hold("USD", Decimal(250))
    portfolio, _risk = await cached.read(NOW)
    assert portfolio.cash["USD"] == Decimal(750)
    accounts.settle(Side.BUY, "BTC", "USD", Decimal("0.01"), Decimal(100), Decimal("0.6"))
    portfolio, _risk = await cached.read(NOW + 1)
    assert portfolio.cash == {"BTC": Decimal("0.01"), "USD": Decimal("649.4")}


async def test_a_cooldown_ends_at_its_time_without_a_write(source):
    cached, db, _accounts, cash = source
    until = NOW + 600
    await db.run(lambda c: save_cooldowns(c, {"BTC-USD": Cooldown(until, "loss")}, 0, NOW))
    assert "BTC-USD" in (await cached.read(NOW))[1].cooldowns
    assert "BTC-USD" in (await cached.read(until - 0.001))[1].cooldowns
    assert (await cached.read(until))[1].cooldowns == {}
    assert "BTC-USD" in (await cached.read(NOW))[1].cooldowns  # time going back: filtered again
    assert cash.reads == 1


async def test_an_entry_leaves_the_24h_at_its_time_without_a_write(source):
    cached, db, _accounts, cash = source
    await db.run(
        lambda conn: store.insert_intent(
            conn, stored_intent(1, IntentState.OPEN, at=NOW, mode="PAPER")
        )
    )
    assert len((await cached.read(NOW + 1))[1].recent_trades) == 1
    assert len((await cached.read(NOW + DAY_S - 0.5))[1].recent_trades) == 1
    assert (await cached.read(NOW + DAY_S))[1].recent_trades == ()
    assert cash.reads == 1


async def test_changed_reads_again(source):
    cached, _db, _accounts, cash = source
    first = await cached.read(NOW)
    cached.changed()
    assert await cached.read(NOW) == first
    assert cash.reads == 2


async def test_current_is_the_pair_read_would_return_or_none_when_read_has_work(source):
    """`current(now)` answers without a coroutine exactly when `read(now)` would return the
    pair it holds: never before a read, after a write, a balance move, `decided`, or once
    a cooldown has ended."""
    cached, db, accounts, _cash = source
    assert cached.current(NOW) is None  # nothing read yet
    until = NOW + 600
    await db.run(lambda c: save_cooldowns(c, {"BTC-USD": Cooldown(until, "loss")}, 0, NOW))
    pair = await cached.read(NOW)
    assert cached.current(NOW + 1) == pair  # compiled, a tuple comes back re-boxed
    assert cached.current(until) is None  # the cooldown ends: read filters again
    assert await cached.read(NOW + 1) == pair
    accounts.change_hold("USD", Decimal(1))
    assert cached.current(NOW + 1) is None
    await cached.read(NOW + 1)
    await db.run(lambda c: save_cooldowns(c, {}, 0, NOW))
    assert cached.current(NOW + 1) is None
    await cached.read(NOW + 1)
    assert cached.current(NOW + 1) is not None
    cached.changed()
    assert cached.current(NOW + 1) is None


async def test_the_cached_copy_keeps_every_field_of_the_file_s_risk_state(source):
    """The filtered copy is built field by field: each field of a risk state read from the
    file, every one of them set to something other than its default, comes through."""
    cached, db, _accounts, _cash = source
    await cached.stored.keeper.halt("operator", "a test halt")
    await db.run(lambda c: save_cooldowns(c, {"BTC-USD": Cooldown(NOW + 600, "loss")}, 2, NOW))
    await db.run(lambda c: write_risk_counters(c, Decimal(1100), Decimal(1050), "2027-01-15", NOW))
    await db.run(
        lambda conn: store.insert_intent(
            conn, stored_intent(1, IntentState.OPEN, at=NOW, mode="PAPER")
        )
    )
    fresh = (await cached.stored.read(NOW + 1))[1]
    copied = (await cached.read(NOW + 1))[1]
    unset = [
        f.name for f in fields(RiskState) if getattr(fresh, f.name) == getattr(RiskState(), f.name)
    ]
    assert unset == []  # a new field must be set above too
    assert copied == fresh


def _hold(size: str):
    def write(conn):
        conn.execute(
            "INSERT INTO positions (product_id, base_size, average_cost, opened_at, updated_at) "
            "VALUES ('BTC-USD', ?, '100', ?, ?) ON CONFLICT (product_id) DO UPDATE SET "
            "base_size = excluded.base_size",
            (size, NOW, NOW),
        )

    return write


async def test_positions_are_read_alone_and_known_until_the_file_is_written(source):
    """R-2: the exit checks between cycles and the backtest's walks need only the positions:
    after a write they are read alone (no balances, no risk state), known without reading
    until the next write — a move of the balances leaves them — and what a whole read of
    the pair holds."""
    cached, db, accounts, cash = source
    await db.run(_hold("0.01"))
    assert cached.known_positions() is None
    positions = await cached.positions()
    assert positions["BTC-USD"].base_size == Decimal("0.01") and cash.reads == 0
    assert cached.known_positions() is positions
    accounts.change_hold("USD", Decimal(1))
    assert cached.known_positions() is positions
    assert await cached.positions() is positions
    await db.run(_hold("0.02"))
    assert cached.known_positions() is None
    assert (await cached.positions())["BTC-USD"].base_size == Decimal("0.02")
    pair = await cached.read(NOW + 2)
    assert cash.reads == 1 and dict(pair[0].positions) == dict(cached.known_positions() or {})
    await db.run(_hold("0"))
    assert await cached.positions() == {}
    cached.changed()
    assert cached.known_positions() is None


async def test_the_daemon_s_source_reads_the_positions_from_the_file_each_time(source):
    cached, db, _accounts, cash = source
    stored = cached.stored
    await db.run(_hold("0.01"))
    assert (await stored.positions())["BTC-USD"].base_size == Decimal("0.01")
    await db.run(_hold("0.03"))
    assert (await stored.positions())["BTC-USD"].base_size == Decimal("0.03")
    assert cash.reads == 0
