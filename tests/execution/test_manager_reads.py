"""The order manager reads a working intent again only after a write to the state file
(X-2): its ticks between writes cost no reads, and every write — the tracker's, the
engine's, one to another table — is seen by the next tick."""

from __future__ import annotations

import sqlite3
from decimal import Decimal as D

from tests.execution.support import Stack, execution_stack
from trader.core.clock import wall_clock
from trader.core.types import Side
from trader.execution.intents import IntentState
from trader.execution.manager import ExecutionPolicy, OrderManager


def _manager(s: Stack, max_reprices: int = 0) -> OrderManager:
    async def cancel_one(order_id: str) -> object:
        return await s.exchange.cancel_orders([order_id])

    return OrderManager(
        s.engine,
        s.venue.engine.quote,
        s.venue.engine.product,
        ExecutionPolicy(entry_ttl_s=600.0, max_reprices=max_reprices, cancel_grace_s=600.0),
        cancel_one,
        s.tracker.refresh_order,
        wall_clock,
    )


async def _count_intent_reads(s: Stack) -> list[str]:
    reads: list[str] = []

    def trace(statement: str) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM intents" in statement:
            reads.append(statement)

    await s.db.run(lambda conn: conn.set_trace_callback(trace))
    return reads


async def test_x2_ticks_without_writes_read_no_intent(tmp_path):
    async with execution_stack(tmp_path) as s:
        manager = _manager(s)
        entry = await manager.enter("BTC-USD", Side.BUY, D("0.001"))
        assert entry is not None and entry.state is IntentState.OPEN
        reads = await _count_intent_reads(s)
        await manager.tick()  # the first tick reads the working intent once
        first = len(reads)
        assert first == 1
        for _ in range(5):
            await manager.tick()
        assert len(reads) == first
        assert set(manager.working) == {entry.intent_id}


async def test_x2_a_write_by_the_tracker_is_seen_by_the_next_tick(tmp_path):
    async with execution_stack(tmp_path) as s:
        manager = _manager(s)
        entry = await manager.enter("BTC-USD", Side.BUY, D("0.001"))
        assert entry is not None and entry.exchange_order_id is not None
        await manager.tick()
        await s.exchange.cancel_orders([entry.exchange_order_id])
        await s.tracker.refresh_order(entry.exchange_order_id)  # writes CANCELLED
        await manager.tick()
        assert manager.working == {}  # finished (no reprices left): abandoned


async def test_x2_a_write_to_another_table_makes_the_next_tick_read_again(tmp_path):
    async with execution_stack(tmp_path) as s:
        manager = _manager(s)
        entry = await manager.enter("BTC-USD", Side.BUY, D("0.001"))
        assert entry is not None
        await manager.tick()
        reads = await _count_intent_reads(s)

        def other_write(conn: sqlite3.Connection) -> None:
            conn.execute("CREATE TABLE IF NOT EXISTS scratch_note (x INTEGER)")
            conn.execute("INSERT INTO scratch_note VALUES (1)")

        await s.db.run(other_write)
        await manager.tick()
        assert len(reads) == 1  # read again: any write may have moved the intent
        await manager.tick()
        assert len(reads) == 1
