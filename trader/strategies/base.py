"""The strategy interface (STR-1): pure `propose(ctx) -> list[Proposal]`, no I/O, no globals.

A strategy is a class: shipped ones live in this package, a user's in their own folder
(`strategies.yaml: registry.<id>.class`, resolved by `trader/config/plugins.py`). Each
declares its parameter model (`Params`, usually a subclass of `StrategyParams` below; any
pydantic model that refuses unknown keys will do), built from `registry.<id>.params` at
`check-config`. One class may run under several ids with different parameters;
`strategy_id` is the registry id it runs under, and every proposal it makes must carry it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from trader.config.base import Strict
from trader.core.decision import Proposal
from trader.core.market import MarketSnapshot
from trader.core.portfolio import Portfolio
from trader.triggers.types import TriggerSignal


class StrategyParams(Strict):
    """The base of a strategy's parameter model: immutable, unknown keys refused, no NaN or
    infinity, `true`/`false` never a number. A strategy without parameters keeps it empty."""


P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class StrategyContext:
    """Everything a strategy may look at: the cycle's triggers, the market (with the
    universe's tiers in `market.tiers`), the portfolio, and `now` (UTC epoch seconds)."""

    now: float
    triggers: Sequence[TriggerSignal]
    market: MarketSnapshot
    portfolio: Portfolio


class BaseStrategy(ABC, Generic[P]):
    """A strategy: deterministic, side-effect free; the same ctx gives the same proposals.

    Subclasses set `Params` to their parameter model and implement `propose`."""

    Params: ClassVar[type[BaseModel]] = StrategyParams

    def __init__(self, strategy_id: str, params: P) -> None:
        self.strategy_id = strategy_id
        self.params = params

    @abstractmethod
    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        """Proposals for this cycle (may be empty)."""


@dataclass(frozen=True, slots=True)
class StrategyPlugin:
    """A registry entry resolved: the class, its validated parameters, where it came from."""

    strategy_id: str
    cls: type[BaseStrategy[Any]]
    params: BaseModel
    source: str

    def build(self) -> BaseStrategy[Any]:
        return self.cls(self.strategy_id, self.params)
