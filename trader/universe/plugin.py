"""A universe filter of the user's own (STR-2, U-1): a class in a file under the config
directory, named in `universe.yaml: filters`, run after the shipped filter chain.

It sees one product's market at a time (`ProductMarket`: rules, quote, 24 h volume, listing
time, data time, sigma, closed 1-minute candles) and returns None to keep the product or
`self.exclude(market, detail)` to drop it; the exclusion's reason code is the filter's id
(logged, counted in `trader_universe_exclusions_total{reason}`, shown by `trader status`).
Like every filter it must fail closed: data it needs but cannot find excludes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from trader.config.base import Strict
from trader.core.market import ProductMarket
from trader.core.plugin import Plugin
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
