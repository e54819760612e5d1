"""The component model (OPS-5, OPS-8): one policy for what a failed job does — restarted
with backoff, trading halted, or the process stopped — visible in the table and metric."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from tests.exchange.support import sample
from trader.core.clock import SimClock
from trader.ops.lifecycle import ComponentState, OnFailure, Supervisor
from trader.ops.metrics import Metrics


class Dependency(Exception):
    """An outside dependency that does not answer."""


class Harness:
    def __init__(self) -> None:
        self.metrics = Metrics()
        self.halts: list[str] = []
        self.stops: list[str] = []
        self.supervisor = Supervisor(
            self.metrics,
            SimClock(1000.0),
            halt=self._halt,
            stop=self.stops.append,
            waits_on=(Dependency,),
            wait_s=0.01,
            backoff_s=0.01,
            backoff_cap_s=0.04,
        )

    async def _halt(self, detail: str) -> None:
        self.halts.append(detail)

    def state(self, name: str, state: ComponentState) -> float:
        return sample(self.metrics, "trader_component_state", component=name, state=state.value)

    def restarts(self, name: str) -> float:
        return sample(self.metrics, "trader_component_restarts_total", component=name)


def failing(
    times: int, error: Callable[[], Exception]
) -> tuple[Callable[[], Coroutine[Any, Any, None]], list[int]]:
    """A job that fails `times` times, then runs until cancelled; counts its runs."""
    runs: list[int] = []

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) <= times:
            raise error()
        await asyncio.Event().wait()

    return job, runs


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def test_restart_policy_restarts_with_backoff_and_counts_it():
    h = Harness()
    job, runs = failing(3, lambda: RuntimeError("boom"))
    h.supervisor.spawn("exit_watch", job, OnFailure.RESTART)
    await until(lambda: len(runs) == 4)
    await until(lambda: h.supervisor.components["exit_watch"].state is ComponentState.RUNNING)
    component = h.supervisor.status()["exit_watch"]
    assert component["restarts"] == 3
    assert component["last_error"] == "RuntimeError: boom"
    assert component["policy"] == "restart"
    assert h.restarts("exit_watch") == 3
    assert h.state("exit_watch", ComponentState.RUNNING) == 1
    assert h.state("exit_watch", ComponentState.DEGRADED) == 0
    assert h.halts == [] and h.stops == []
    await h.supervisor.stop()


async def test_degraded_while_it_waits_to_be_restarted():
    h = Harness()
    h.supervisor.backoff_s = h.supervisor.backoff_cap_s = 30.0
    job, runs = failing(1, lambda: RuntimeError("down"))
    h.supervisor.spawn("fee_refresh", job, OnFailure.RESTART)
    await until(lambda: h.restarts("fee_refresh") == 1)
    assert h.supervisor.components["fee_refresh"].state is ComponentState.DEGRADED
    assert h.state("fee_refresh", ComponentState.DEGRADED) == 1
    assert runs == [0]  # not yet restarted: the backoff holds it
    await h.supervisor.stop()
    assert "fee_refresh" not in h.supervisor.status()


async def test_halt_policy_halts_trading_and_keeps_restarting():
    h = Harness()
    job, runs = failing(2, lambda: ValueError("unreadable answer"))
    h.supervisor.spawn("reconcile", job, OnFailure.HALT, group="trading")
    await until(lambda: len(runs) == 3)
    assert h.halts == ["reconcile: ValueError: unreadable answer"] * 2
    assert h.stops == []
    await h.supervisor.stop()


async def test_stop_policy_fails_the_component_and_stops_the_process():
    h = Harness()
    job, runs = failing(5, lambda: RuntimeError("watcher broke"))
    h.supervisor.spawn("kill_switch", job, OnFailure.STOP)
    await until(lambda: h.stops == ["kill_switch"])
    await asyncio.sleep(0.05)
    assert runs == [0]  # never restarted
    assert h.supervisor.components["kill_switch"].state is ComponentState.FAILED
    assert h.state("kill_switch", ComponentState.FAILED) == 1
    await h.supervisor.stop()


@pytest.mark.parametrize("policy", list(OnFailure))
async def test_an_outside_dependency_is_waited_out_under_every_policy(policy):
    h = Harness()
    job, runs = failing(2, lambda: Dependency("state file locked"))
    h.supervisor.spawn("job", job, policy)
    await until(lambda: len(runs) == 3, timeout=10)
    assert h.halts == [] and h.stops == []
    assert h.restarts("job") == 0
    assert h.supervisor.status()["job"]["last_error"] == "Dependency: state file locked"
    await h.supervisor.stop()


async def test_a_job_that_returns_has_done_its_work_and_leaves_the_table():
    h = Harness()
    done = asyncio.Event()

    async def once() -> None:
        done.set()

    h.supervisor.spawn("trading_start", once, OnFailure.RESTART)
    await done.wait()
    await until(lambda: "trading_start" not in h.supervisor.status())
    assert h.state("trading_start", ComponentState.RUNNING) == 0
    await h.supervisor.stop()


async def test_stopping_a_group_leaves_the_others_running():
    h = Harness()
    daemon_job, _ = failing(0, RuntimeError)
    trading_job, _ = failing(0, RuntimeError)
    h.supervisor.spawn("cycle", daemon_job, OnFailure.STOP)
    h.supervisor.spawn("user_stream", trading_job, OnFailure.RESTART, group="trading")
    await until(lambda: all(c["state"] == "running" for c in h.supervisor.status().values()))
    await h.supervisor.stop(group="trading")
    assert list(h.supervisor.status()) == ["cycle"]
    await h.supervisor.stop()
    assert h.supervisor.status() == {}


async def test_a_name_taken_by_a_running_job_gets_its_own_entry():
    h = Harness()
    first, _ = failing(0, RuntimeError)
    second, _ = failing(0, RuntimeError)
    h.supervisor.spawn("kill_signal", first, OnFailure.RESTART)
    h.supervisor.spawn("kill_signal", second, OnFailure.RESTART)
    assert sorted(h.supervisor.status()) == ["kill_signal", "kill_signal#2"]
    await h.supervisor.stop()
