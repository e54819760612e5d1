"""A universe filter of the user's own (STR-2, U-1): a class in a file under the config
directory, named in `universe.yaml: filters`, run after the shipped filter chain.

It sees one product's market at a time (`ProductMarket`: rules, quote, 24 h volume, listing
time, data time, sigma, closed 1-minute candles) and returns None to keep the product or
`self.exclude(market, detail)` to drop it; the exclusion's reason code is the filter's id
(logged, counted in `trader_universe_exclusions_total{reason}`, shown by `trader status`).
Like every filter it must fail closed: data it needs but cannot find excludes.

Its constructor is the user's code too: it is built within `universe.yaml: load_limit_s`
in a thread of its own (`built_filters`; the daemon's builds, off the event loop:
`trader/daemon/trading/strategy_thread.py`), and one that raises or overruns is a
`FilterError` naming it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import partial
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from trader.config.base import Strict
from trader.config.load_limit import LoadOverrun, within_limit
from trader.core.market import ProductMarket
from trader.core.plugin import Plugin
from trader.strategies.base import failure
from trader.universe.filters import Exclusion


class FilterParams(Strict):
    """The base of a filter's parameter model: unknown keys refused, no NaN, no booleans
    as numbers."""


P = TypeVar("P", bound=BaseModel)


class UniverseFilter(ABC, Generic[P]):
    """Subclasses set `Params` and implement `check`."""

    Params: ClassVar[type[BaseModel]] = FilterParams

    def __init__(self, filter_id: str, params: P) -> None:
        self.filter_id = filter_id
        self.params = params

    @abstractmethod
    def check(self, market: ProductMarket, now: float) -> Exclusion | None:
        """None keeps the product; an exclusion (`self.exclude`) drops it."""

    def exclude(self, market: ProductMarket, detail: str) -> Exclusion:
        return Exclusion(market.product_id, self.filter_id, detail)


FilterPlugin = Plugin[UniverseFilter[Any]]  # a `filters` entry resolved


class FilterError(Exception):
    """A user's filter could not be built: its constructor raised or did not return within
    its limit. One line: the id, its file, what."""

    def __init__(self, filter_id: str, source: str, problem: str) -> None:
        where = source.partition(":")[0]
        super().__init__(f"universe filter {filter_id!r} ({where}) failed to build: {problem}")
        self.filter_id = filter_id
        self.problem = problem


def filter_built(plugin: FilterPlugin) -> UniverseFilter[Any]:
    """The filter `plugin` describes; FilterError when its constructor raises."""
    try:
        return plugin.build()
    except BaseException as exc:  # SystemExit too: user code ends no process
        raise FilterError(plugin.plugin_id, plugin.source, failure(exc)) from exc


def built_filters(plugins: Sequence[FilterPlugin], limit_s: float) -> list[UniverseFilter[Any]]:
    """Each filter built in a thread of its own within `limit_s` (the caller waits);
    FilterError naming the first that fails or overruns."""
    return [_within(plugin, limit_s) for plugin in plugins]


def _within(plugin: FilterPlugin, limit_s: float) -> UniverseFilter[Any]:
    try:
        return within_limit(partial(filter_built, plugin), limit_s, f"build {plugin.plugin_id}")
    except LoadOverrun as exc:
        raise FilterError(plugin.plugin_id, plugin.source, str(exc)) from None
