"""The daemon's strategies stage, called off the event loop (STR-1, OPS-3, OPS-4).

A strategy is the user's code: one that blocks or computes for seconds must not freeze the
kill switch, a stop signal, the metrics or the exits between cycles. The daemon calls its
strategies in a thread of their own (a daemon thread: a call that never returns does not
hold up the exit) and the event loop goes on meanwhile. The stage waits for the call at
most its limit (the cycle interval, at least `MIN_LIMIT_S`); a call that overruns fails
the stage with one line naming the strategy it is in, and is left to finish on its own:
until it does, every cycle's strategies stage fails at once (the exits still run), and
what it returns is dropped. While a call runs, closed candles are held and fed to the
decision core after it, so the bars a strategy reads do not change under it.

The start and a SIGHUP reload build the strategies the same way (`build_registry`): each
constructor in a daemon thread, waited for at most `strategies.yaml: load_limit_s`; one
that overruns stops the start or refuses the reload, naming the strategy, and is left
running. So do the user's universe filters (`build_filters`, `universe.yaml:
load_limit_s`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final

import structlog

from trader.config.load_limit import LoadOverrun, within_limit_async
from trader.config.strategies import StrategiesConfig
from trader.core.decision import Proposal
from trader.core.types import Candle
from trader.pipeline.decide import DecisionCore, DecisionStep
from trader.strategies.base import BaseStrategy, StrategyBuildError, StrategyError, StrategyPlugin
from trader.strategies.guard import built
from trader.strategies.registry import StrategyRegistry, enabled_plugins
from trader.universe.plugin import FilterError, FilterPlugin, UniverseFilter, filter_built

log = structlog.get_logger("trader.trading")

MIN_LIMIT_S: Final = 10.0
Outcome = tuple[Sequence[Proposal] | None, BaseException | None]


class StrategyThread:
    """Calls the step's strategies in a thread; holds candles while a call runs."""

    def __init__(self, core: DecisionCore) -> None:
        self.core = core
        self._running: tuple[float, StrategyRegistry] | None = None  # since (step time), whom
        self._held: list[Candle] = []

    def feed(self, candle: Candle) -> None:
        """A closed candle for the decision core: at once, or after the running call."""
        if self._running is not None:
            self._held.append(candle)
        elif not self.core.on_candle(candle):
            log.debug("candle_not_newer", product_id=candle.product_id, start=candle.start)

    async def propose(self, step: DecisionStep, interval_s: float) -> None:
        """The step's proposals, as `DecisionCore.propose` gives them, from a thread."""
        if self._running is not None:
            since, registry = self._running
            raise _error(registry, step.now, f"still running the call of {_utc(since)}")
        core = self.core
        ctx, registry, bars = core.strategy_context(step), core.registry, core.bars
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Outcome] = loop.create_future()

        def call() -> None:
            outcome: Outcome
            try:
                outcome = (registry.propose_all(ctx, bars), None)
            except BaseException as exc:  # noqa: BLE001 -- handed to the event loop as it is
                outcome = (None, exc)
            with contextlib.suppress(RuntimeError):  # a closed event loop: the daemon is gone
                loop.call_soon_threadsafe(self._finished, done, outcome)

        self._running = (step.now, registry)
        threading.Thread(target=call, name="strategies", daemon=True).start()
        limit = max(interval_s, MIN_LIMIT_S)
        try:
            proposals, failed = await asyncio.wait_for(asyncio.shield(done), limit)
        except TimeoutError:
            raise _error(registry, step.now, f"did not return within {limit:g} s") from None
        if failed is not None:
            raise failed
        step.proposals = proposals or ()

    def _finished(self, done: asyncio.Future[Outcome], outcome: Outcome) -> None:
        """On the event loop: the call returned; the held candles go to the core."""
        self._running = None
        if not done.done():
            done.set_result(outcome)
        held, self._held = self._held, []
        for candle in held:
            self.feed(candle)


async def build_registry(
    config: StrategiesConfig, plugins: Mapping[str, StrategyPlugin]
) -> StrategyRegistry:
    """The enabled strategies built off the event loop, each within `config.load_limit_s`;
    StrategyError naming the one that fails or overruns."""
    enabled = enabled_plugins(config, plugins)
    strategies: dict[str, BaseStrategy[Any]] = {}
    for sid, plugin in enabled.items():
        make = partial(built, sid, plugin.build, plugin.source)
        try:
            strategies[sid] = await within_limit_async(make, config.load_limit_s, f"build {sid}")
        except LoadOverrun as exc:
            raise StrategyBuildError(sid, plugin.source, None, str(exc)) from None
    return StrategyRegistry.from_built(config, enabled, strategies)


async def build_filters(
    plugins: Sequence[FilterPlugin], limit_s: float
) -> list[UniverseFilter[Any]]:
    """The user's universe filters built off the event loop, each within `limit_s`;
    FilterError naming the one that fails or overruns."""
    filters: list[UniverseFilter[Any]] = []
    for plugin in plugins:
        make = partial(filter_built, plugin)
        try:
            filters.append(await within_limit_async(make, limit_s, f"build {plugin.plugin_id}"))
        except LoadOverrun as exc:
            raise FilterError(plugin.plugin_id, plugin.source, str(exc)) from None
    return filters


def _error(registry: StrategyRegistry, now: float, problem: str) -> StrategyError:
    strategy_id = registry.calling or "?"
    return StrategyError(strategy_id, registry.sources.get(strategy_id, ""), now, problem)


def _utc(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
