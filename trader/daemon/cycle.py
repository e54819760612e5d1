"""The decision cycle: the pipeline's stages run in order on an interval with jitter.

Each stage is timed into `trader_stage_duration_seconds{stage}`. A stage that raises is
logged (with its traceback, unless it is a user's strategy failing or the state file
being unavailable: one line) and counted, the cycle is recorded as FAILED, and the later
stages still run (exits must run whatever happened to entries, R-2). The cycle row, with
the effective config hash, is written to SQLite at start and at end (CFG-1).

A daemon whose cycles all fail cannot do its job (OPS-5): once `FAILED_CYCLES_NOT_READY`
cycles in a row have FAILED, `problems` names the stages that failed in the last one (and
the strategy, for the strategies stage) for `/readyz`, until a cycle ends OK. An occasional
failed cycle between OK ones says nothing there.

A cycle is HELD, not failed, when it cannot decide honestly: the state file cannot be
written (another process holds its lock), or the wall clock went back behind a cycle
already run (decisions wait until it has passed that time again). Held cycles are
counted, logged once per episode and shown in `/status`; the runner never stops.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
import structlog

from trader.config.app import CycleConfig
from trader.core.clock import Clock
from trader.ops.metrics import Metrics
from trader.state.cycles import finish_cycle, start_cycle
from trader.state.db import Database, StateUnavailableError
from trader.strategies.base import StrategyError

log = structlog.get_logger("trader.cycle")

FAILED_CYCLES_NOT_READY: Final = 3  # FAILED cycles in a row that make `/readyz` 503


@dataclass
class CycleContext:
    cycle_id: str
    started_at: float
    config_hash: str
    stage_seconds: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # stage -> the strategy in it, or ""
    data: dict[str, Any] = field(default_factory=dict)  # what one stage hands to the next


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[CycleContext], Awaitable[None]]


def next_start(
    now: float,
    interval_s: float,
    jitter_pct: float,
    align: bool,
    rng: random.Random,
    offset_s: float = 0.0,
) -> float:
    """When the next cycle starts: the next interval boundary plus `offset_s` (if aligned),
    plus 0..jitter %. The offset lets the minute that just ended close first (S-1)."""
    if align:
        base = ((now - offset_s) // interval_s + 1) * interval_s + offset_s
    else:
        base = now + interval_s
    return base + rng.uniform(0.0, interval_s * jitter_pct / 100.0)


class CycleRunner:
    def __init__(
        self,
        db: Database,
        metrics: Metrics,
        stages: Sequence[Stage],
        *,
        config_hash: Callable[[], str],
        mode: str,
        interval_s: float,
        jitter_pct: float,
        align: bool,
        clock: Clock,
        offset_s: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._metrics = metrics
        self._stages = list(stages)
        self._config_hash = config_hash
        self._mode = mode
        self._interval = interval_s
        self._jitter = jitter_pct
        self._align = align
        self._offset = offset_s
        self._rng = rng or random.Random()
        self._sequence = 0
        # cycle ids stay unique across restarts, even in the same second or after the
        # wall clock stepped back to a second an earlier process already used
        self._run_tag = uuid.uuid4().hex[:6]
        self._latest_start = 0.0
        self.held: str | None = None  # why cycles are held now, or None
        self._failed_in_a_row = 0
        self._last_failed: dict[str, str] = {}  # the last cycle's failed stages (ctx.failed)
        self.last_cycle: dict[str, object] | None = None

    def add_stages(self, stages: Sequence[Stage]) -> None:
        """Stages that join once their parts are running (the trading runtime)."""
        self._stages.extend(stages)

    def reconfigure(self, cycle: CycleConfig) -> None:
        """Adopt new timing after a SIGHUP reload; takes effect from the next wait."""
        self._interval = cycle.interval_s
        self._jitter = cycle.jitter_pct
        self._align = cycle.align_to_interval
        self._offset = cycle.offset_s

    async def run_forever(self) -> None:
        while True:
            now = self._clock()
            delay = (
                next_start(now, self._interval, self._jitter, self._align, self._rng, self._offset)
                - now
            )
            await asyncio.sleep(max(0.0, delay))
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # never the end of the cycles: counted, logged, next interval
                self._metrics.cycles.labels(status="FAILED").inc()
                self._count_failed({"outside its stages": ""})
                log.exception("cycle_failed_outside_its_stages")

    async def run_once(self) -> CycleContext | None:
        """One cycle, or None when it is held (see the module text)."""
        started = self._clock()
        if started < self._latest_start:
            self._hold(
                f"wall clock went back {self._latest_start - started:.1f} s: decisions wait "
                f"until it passes the last cycle's start again"
            )
            return None
        self._latest_start = started  # the trigger state may advance to it even if held
        try:
            ctx = await self._run(started)
        except StateUnavailableError as exc:
            self._hold(f"state file not writable: {exc}")
            return None
        if self.held is not None:
            log.warning("cycles_resumed", held=self.held)
            self.held = None
        return ctx

    def problems(self) -> list[str]:
        """For `/readyz`: the cycles failing `FAILED_CYCLES_NOT_READY` times or more in a row."""
        if self._failed_in_a_row < FAILED_CYCLES_NOT_READY:
            return []
        stages = ", ".join(
            f"{stage} ({who})" if who else stage for stage, who in self._last_failed.items()
        )
        return [f"cycles failing: {self._failed_in_a_row} in a row, the last in {stages}"]

    def _count_failed(self, failed: dict[str, str]) -> None:
        """A cycle ended: FAILED with these stages failed, or OK when there are none."""
        self._failed_in_a_row = self._failed_in_a_row + 1 if failed else 0
        self._last_failed = dict(failed)

    def _hold(self, why: str) -> None:
        self._metrics.cycles.labels(status="HELD").inc()
        if self.held != why:
            log.error("cycle_held", reason=why)
        self.held = why
        self.last_cycle = {"status": "HELD", "error": why, "at": self._clock()}

    async def _run(self, started: float) -> CycleContext:
        self._sequence += 1
        ctx = CycleContext(
            cycle_id=f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(started))}-{self._sequence}"
            f"-{self._run_tag}",
            started_at=started,
            config_hash=self._config_hash(),
        )
        await self._db.run(
            lambda conn: start_cycle(conn, ctx.cycle_id, started, ctx.config_hash, self._mode)
        )
        for stage in self._stages:
            await self._run_stage(stage, ctx)
        await self._finish(ctx)
        return ctx

    async def _run_stage(self, stage: Stage, ctx: CycleContext) -> None:
        t0 = time.perf_counter()
        try:
            await stage.run(ctx)
        except asyncio.CancelledError:
            raise
        except (StateUnavailableError, StrategyError) as exc:  # not a bug of ours: one line
            ctx.errors.append(f"{stage.name}: {exc}")
            who = f"strategy {exc.strategy_id!r}" if isinstance(exc, StrategyError) else ""
            ctx.failed[stage.name] = who
            self._metrics.stage_errors.labels(stage=stage.name).inc()
            line = {"line": exc.line} if isinstance(exc, StrategyError) and exc.line else {}
            log.error(
                "stage_failed", stage=stage.name, cycle_id=ctx.cycle_id, error=str(exc), **line
            )
        except Exception as exc:
            ctx.errors.append(f"{stage.name}: {type(exc).__name__}: {exc}")
            ctx.failed[stage.name] = ""
            self._metrics.stage_errors.labels(stage=stage.name).inc()
            log.exception("stage_failed", stage=stage.name, cycle_id=ctx.cycle_id)
        finally:
            elapsed = time.perf_counter() - t0
            ctx.stage_seconds[stage.name] = elapsed
            self._metrics.stage_duration.labels(stage=stage.name).observe(elapsed)

    async def _finish(self, ctx: CycleContext) -> None:
        finished = self._clock()
        status = "FAILED" if ctx.errors else "OK"
        error = "; ".join(ctx.errors) or None
        stages = orjson.dumps(ctx.stage_seconds).decode()
        await self._db.run(
            lambda conn: finish_cycle(conn, ctx.cycle_id, finished, status, stages, error)
        )
        self._metrics.cycles.labels(status=status).inc()
        self._count_failed(ctx.failed)
        self._metrics.cycle_duration.observe(finished - ctx.started_at)
        self._metrics.last_cycle.set(finished)
        self.last_cycle = {
            "cycle_id": ctx.cycle_id,
            "started_at": ctx.started_at,
            "finished_at": finished,
            "status": status,
            "error": error,
        }
        log.info(
            "cycle_done",
            cycle_id=ctx.cycle_id,
            status=status,
            seconds=round(finished - ctx.started_at, 6),
        )
