"""The cycle skeleton: stages timed, one stage's exception never kills the daemon."""

from __future__ import annotations

import random
import sqlite3

from trader.core.clock import Clock, SimClock, wall_clock
from trader.daemon.cycle import FAILED_CYCLES_NOT_READY, CycleRunner, Stage, next_start
from trader.ops.metrics import Metrics
from trader.state.db import Database
from trader.strategies.base import StrategyError


async def test_cycle_stage_exception_is_counted_cycle_failed_later_stages_still_run(tmp_path):
    db = await Database.open(tmp_path / "t.db", wall_clock)
    metrics = Metrics()
    ran: list[str] = []

    async def boom(ctx):
        ran.append("boom")
        raise ValueError("bad data")

    async def exits(ctx):
        ran.append("exits")

    runner = CycleRunner(
        db,
        metrics,
        [Stage("triggers", boom), Stage("exits", exits)],
        config_hash=lambda: "h",
        mode="DRY_RUN",
        interval_s=60,
        jitter_pct=0,
        align=True,
        clock=wall_clock,
    )
    try:
        ctx = await runner.run_once()
        assert ran == ["boom", "exits"]
        assert ctx.errors == ["triggers: ValueError: bad data"]
        row = await db.run(
            lambda c: c.execute(
                "SELECT status, error, config_hash FROM cycles WHERE cycle_id = ?", (ctx.cycle_id,)
            ).fetchone()
        )
        assert tuple(row) == ("FAILED", "triggers: ValueError: bad data", "h")
        assert metrics.stage_errors.labels(stage="triggers")._value.get() == 1
        assert metrics.cycles.labels(status="FAILED")._value.get() == 1
        assert set(ctx.stage_seconds) == {"triggers", "exits"}
    finally:
        await db.close()


def test_cycle_next_start_aligns_to_the_interval_with_bounded_jitter():
    rng = random.Random(1)
    for now in (0.0, 59.9, 60.0, 61.5, 1_700_000_000.3):
        start = next_start(now, 60, 10, True, rng)
        boundary = (now // 60 + 1) * 60
        assert boundary <= start <= boundary + 6
    assert next_start(10.0, 5, 0, False, rng) == 15.0


def test_bt2_cycle_offset_lands_after_the_minute_has_closed():
    """`cycle.offset_s`: the cycle runs offset seconds after each boundary — never skipping
    the current minute's slot while it is still ahead."""
    rng = random.Random(2)
    assert next_start(61.0, 60, 0, True, rng, offset_s=3.0) == 63.0
    assert next_start(63.0, 60, 0, True, rng, offset_s=3.0) == 123.0
    assert next_start(119.9, 60, 0, True, rng, offset_s=3.0) == 123.0
    assert next_start(59.0, 60, 0, True, rng) == 60.0


def _runner(db, metrics, stages=(), clock: Clock = wall_clock):
    return CycleRunner(
        db,
        metrics,
        list(stages),
        config_hash=lambda: "h",
        mode="LIVE",
        interval_s=60,
        jitter_pct=0,
        align=True,
        clock=clock,
    )


async def test_cycle_held_while_the_wall_clock_is_behind_the_last_cycle(tmp_path):
    db = await Database.open(tmp_path / "t.db", wall_clock)
    metrics = Metrics()
    now = [1_800_000_000.0]
    runner = _runner(db, metrics, clock=lambda: now[0])
    try:
        assert await runner.run_once() is not None
        now[0] -= 600  # an NTP step back of ten minutes
        assert await runner.run_once() is None
        assert await runner.run_once() is None
        assert runner.held and "went back 600.0 s" in runner.held
        assert runner.last_cycle["status"] == "HELD"
        now[0] += 601  # the clock has caught up
        assert await runner.run_once() is not None and runner.held is None
        held = metrics.registry.get_sample_value("trader_cycles_total", {"status": "HELD"})
        assert held == 2
    finally:
        await db.close()


async def test_cycle_ids_stay_unique_across_restarts_in_one_second(tmp_path):
    db = await Database.open(tmp_path / "t.db", wall_clock)
    clock = SimClock(1_800_000_000.0)
    try:
        first = await _runner(db, Metrics(), clock=clock).run_once()
        second = await _runner(
            db, Metrics(), clock=clock
        ).run_once()  # a restart in the same second
        assert first is not None and second is not None
        assert first.cycle_id != second.cycle_id
    finally:
        await db.close()


async def test_cycle_held_while_another_process_holds_the_state_lock(tmp_path):
    path = tmp_path / "t.db"
    db = await Database.open_state(path, wall_clock)
    metrics = Metrics()
    runner = _runner(db, metrics)
    outsider = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        outsider.execute("BEGIN EXCLUSIVE")
        assert await runner.run_once() is None
        assert runner.held and "not writable" in runner.held
        assert db.health.writable is False and db.health.failures >= 1
        outsider.execute("ROLLBACK")
        assert await runner.run_once() is not None
        assert runner.held is None and db.health.writable is True
    finally:
        outsider.close()
        await db.close()


async def test_ops5_cycles_failing_in_a_row_are_named_for_readiness_until_one_is_ok(tmp_path):
    """A cycle that fails now and then says nothing; `FAILED_CYCLES_NOT_READY` in a row name
    the stages that failed last (the strategy too), until a cycle ends OK."""
    db = await Database.open(tmp_path / "t.db", wall_clock)
    outcomes: list[str] = []  # what the next cycles' stages do, one entry a cycle

    async def strategies(ctx):
        if outcomes[0] in ("strategy", "both"):
            raise StrategyError("mine", "strategies/mine.py:Mine", ctx.started_at, "ValueError")

    async def record(ctx):
        if outcomes.pop(0) in ("record", "both"):
            raise OSError("disk full")

    runner = _runner(db, Metrics(), [Stage("strategies", strategies), Stage("record", record)])

    async def run(*plan: str) -> list[str]:
        outcomes.extend(plan)
        for _ in plan:
            assert await runner.run_once() is not None
        return runner.problems()

    try:
        occasional = ("strategy", "ok") * FAILED_CYCLES_NOT_READY + ("record", "ok", "both")
        assert await run(*occasional) == []
        assert await run("record") == []  # two in a row
        (problem,) = await run("strategy")
        assert problem == (
            f"cycles failing: {FAILED_CYCLES_NOT_READY} in a row, "
            "the last in strategies (strategy 'mine')"
        )
        (problem,) = await run("both")
        assert (
            problem
            == "cycles failing: 4 in a row, the last in strategies (strategy 'mine'), record"
        )
        assert await run("ok") == []
        assert await run("record", "record") == []
    finally:
        await db.close()
