"""The daemon's components and one policy for their failures (OPS-5, OPS-8).

Every long-running job of the daemon — the cycle, the kill-switch watcher, the state sync,
the user stream, the reconciler, the exit watch... — runs as a named component in one
supervisor. A component is STARTING, RUNNING, DEGRADED (it failed and waits to be
restarted), STOPPING or FAILED. What a failure does is the component's policy:

- RESTART: restarted after a backoff (doubling from `backoff_s` to `backoff_cap_s`, back
  to the start once it has run `healthy_after_s`); DEGRADED meanwhile;
- HALT: the same, and trading halts (reason `component_failed`) at its first failure —
  the job guards money (unknown outcomes, reconciliation) and trading must not go on blind;
- STOP: FAILED, and the process stops with exit code 1: the daemon without it would be
  half-alive (the cycle, the kill-switch watcher, the state sync).

An outside dependency that does not answer (the daemon names them: a state file that
cannot be reached, a venue that is down) is not a failure of the job: the dependency's
health is reported where it is watched, and the job is retried every `wait_s`, DEGRADED.
A component whose job returns has done its work and leaves the table. States are in
`/status` (`components`) and in `trader_component_state{component,state}`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog

from trader.core.clock import Clock
from trader.ops.metrics import Metrics
from trader.ops.tasks import cancel_and_wait

log = structlog.get_logger("trader.lifecycle")

Job = Callable[[], Coroutine[Any, Any, None]]
DAEMON, TRADING = "daemon", "trading"  # component groups: the process, the trading runtime


class ComponentState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    DEGRADED = "degraded"
    STOPPING = "stopping"
    FAILED = "failed"


class OnFailure(StrEnum):
    RESTART = "restart"
    HALT = "halt"
    STOP = "stop"


class ComponentMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.state = metrics.gauge(
            "trader_component_state",
            "1 for each component's current state (starting/running/degraded/stopping/failed)",
            ["component", "state"],
        )
        self.restarts = metrics.counter(
            "trader_component_restarts", "components restarted after a failure", ["component"]
        )


@dataclass
class Component:
    name: str
    policy: OnFailure
    group: str
    state: ComponentState
    since: float
    restarts: int = 0
    last_error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "policy": self.policy.value,
            "since": self.since,
            "restarts": self.restarts,
            "last_error": self.last_error,
        }


class Supervisor:
    """Runs the daemon's components under their failure policy; see the module docstring."""

    def __init__(
        self,
        metrics: Metrics,
        clock: Clock,
        *,
        halt: Callable[[str], Awaitable[None]],
        stop: Callable[[str], None],
        waits_on: tuple[type[Exception], ...] = (),
        wait_s: float = 1.0,
        backoff_s: float = 1.0,
        backoff_cap_s: float = 30.0,
        healthy_after_s: float = 60.0,
    ) -> None:
        """`halt(detail)` halts trading; `stop(component)` ends the process (exit 1);
        `waits_on`: the errors of outside dependencies, which are waited out."""
        self._metrics = metrics.shared(ComponentMetrics)
        self._clock = clock
        self._halt = halt
        self._stop = stop
        self._waits_on = waits_on
        self.wait_s = wait_s
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s
        self.healthy_after_s = healthy_after_s
        self.components: dict[str, Component] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def spawn(self, name: str, job: Job, policy: OnFailure, *, group: str = DAEMON) -> None:
        taken, count = name, 1
        while name in self.components:  # a second run of a one-shot job still running
            count += 1
            name = f"{taken}#{count}"
        component = Component(name, policy, group, ComponentState.STARTING, self._clock())
        self.components[name] = component
        self._show(component)
        self._tasks[name] = asyncio.create_task(self._supervise(component, job), name=name)

    async def stop(self, group: str | None = None) -> None:
        """Stop the components of `group` (all when None) and forget them."""
        names = [n for n, c in self.components.items() if group in (None, c.group)]
        for name in names:
            self._move(self.components[name], ComponentState.STOPPING)
        await cancel_and_wait([self._tasks[n] for n in names if n in self._tasks])
        for name in names:
            self._forget(name)

    def status(self) -> dict[str, dict[str, object]]:
        return {name: c.as_dict() for name, c in sorted(self.components.items())}

    # -- one component -----------------------------------------------------------------
    async def _supervise(self, component: Component, job: Job) -> None:
        delay = self.backoff_s
        loop = asyncio.get_running_loop()
        while True:
            self._move(component, ComponentState.RUNNING)
            started = loop.time()
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except self._waits_on as exc:
                await self._wait(component, exc)
                continue
            except Exception as exc:  # the policy decides; nothing dies silently
                log.exception("component_failed", task=component.name, policy=component.policy)
                if loop.time() - started >= self.healthy_after_s:
                    delay = self.backoff_s
                if not await self._failed(component, exc, delay):
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff_cap_s)
                continue
            self._forget(component.name)  # its work is done
            return

    async def _wait(self, component: Component, exc: Exception) -> None:
        component.last_error = f"{type(exc).__name__}: {exc}"[:300]
        self._move(component, ComponentState.DEGRADED)
        log.warning("background_task_waits", task=component.name, error=str(exc)[:300])
        await asyncio.sleep(self.wait_s)

    async def _failed(self, component: Component, exc: Exception, delay: float) -> bool:
        """Apply the policy; True when the component is to be restarted."""
        component.last_error = f"{type(exc).__name__}: {exc}"[:300]
        if component.policy is OnFailure.STOP:
            self._move(component, ComponentState.FAILED)
            log.critical("task_died", task=component.name, error=repr(exc)[:300])
            self._stop(component.name)
            return False
        component.restarts += 1
        self._metrics.restarts.labels(component=component.name).inc()
        self._move(component, ComponentState.DEGRADED)
        log.error("component_restarts", task=component.name, retry_in_s=delay)
        if component.policy is OnFailure.HALT:
            try:
                await self._halt(f"{component.name}: {component.last_error}")
            except Exception:  # the halt is in memory first; its write is retried by the sync
                log.exception("component_halt_not_written", task=component.name)
        return True

    def _move(self, component: Component, state: ComponentState) -> None:
        if component.state is not state:
            component.state, component.since = state, self._clock()
        self._show(component)

    def _show(self, component: Component) -> None:
        for state in ComponentState:
            value = 1 if state is component.state else 0
            self._metrics.state.labels(component=component.name, state=state.value).set(value)

    def _forget(self, name: str) -> None:
        component = self.components.pop(name, None)
        self._tasks.pop(name, None)
        if component is not None:
            for state in ComponentState:
                try:
                    self._metrics.state.remove(name, state.value)
                except KeyError:
                    continue
