"""OPS-6: a step's audit rows — its cycle row, proposals, verdicts, risk counters, universe
changes — are one transaction: all committed with one commit, or none of them when any
row cannot be written (a backtest session's real cycle over the recorded set)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from trader.backtest.data import load_dataset
from trader.backtest.session import open_session
from trader.config.loader import load_config
from trader.core.decision import Proposal
from trader.core.types import Side

SET = "binance-5m-24pairs-2021"


def _proposal(product_id: str) -> Proposal:
    return Proposal(product_id, Side.BUY, "rules", 0.9, "test", size_pct=Decimal(1))


@pytest.fixture
async def opened(tmp_path, repo_root, shared_data):
    """(the set's first bar time, a backtest session opened there)."""
    dataset = load_dataset(shared_data / SET, ["BTC-USD"])
    loaded = load_config(repo_root / "app.yaml.example")
    first, _ = dataset.span()
    session = await open_session(loaded, dataset, tmp_path / "bt.db", first)
    yield float(first), session
    await session.close()


async def _step(session, now: float, *products: str):
    """The cycle's real step at `now`, proposing to buy `products`."""
    step = session.cycle.decide(await session.cycle.inputs(now))
    step.proposals = [_proposal(pid) for pid in products]
    return step


async def _rows(session, cycle_id: str) -> tuple[int, int]:
    def count(conn: sqlite3.Connection) -> tuple[int, int]:
        cycles = conn.execute("SELECT COUNT(*) FROM cycles WHERE cycle_id = ?", (cycle_id,))
        proposals = conn.execute("SELECT COUNT(*) FROM proposals WHERE cycle_id = ?", (cycle_id,))
        return cycles.fetchone()[0], proposals.fetchone()[0]

    return await session.db.run(count)


async def test_ops6_a_steps_audit_rows_take_one_commit(opened):
    now, session = opened
    step = await _step(session, now, "BTC-USD", "ETH-USD")
    commits: list[str] = []
    await session.db.run(
        lambda conn: conn.set_trace_callback(
            lambda s: commits.append(s) if s.strip().upper() == "COMMIT" else None
        )
    )
    ids = await session.cycle.record("c-1", step)
    assert len(commits) == 1
    assert sorted(ids.values()) == ["c-1/0", "c-1/1"]
    assert await _rows(session, "c-1") == (1, 2)


async def test_ops6_a_row_that_cannot_be_written_leaves_none_of_the_step(opened):
    now, session = opened
    await session.cycle.record("c-1", await _step(session, now, "BTC-USD"))
    # the next step's proposal id is taken: its insert fails after the cycle row's
    await session.db.run(
        lambda conn: conn.execute(
            "INSERT INTO proposals (proposal_id, cycle_id, strategy, product_id, side, "
            "payload, created_at) VALUES ('c-2/0', 'c-1', 'rules', 'X-USD', 'BUY', '{}', 0)"
        )
    )
    with pytest.raises(sqlite3.IntegrityError):
        await session.cycle.record("c-2", await _step(session, now, "ETH-USD"))
    assert await _rows(session, "c-2") == (0, 0)
    assert await _rows(session, "c-1") == (1, 2)  # the earlier step's and the blocker


async def test_r1_after_the_audit_write_the_cached_state_is_what_the_file_holds(opened):
    now, session = opened
    before = await session.state.read(now)
    step = await _step(session, now, "BTC-USD")
    writes = session.db.writes
    await session.cycle.record("c-1", step)
    assert session.db.writes == writes  # audit rows only: no reader reads again
    cached = await session.state.read(now)
    fresh = await session.state.stored.read(now)
    assert cached == fresh
    assert cached[1].high_water_mark == step.risk_state.high_water_mark is not None
    assert before[0] == cached[0]
