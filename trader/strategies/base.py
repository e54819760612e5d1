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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from trader.config.base import Strict
from trader.core.decision import Proposal
from trader.core.market import MarketSnapshot
from trader.core.plugin import Plugin
from trader.core.portfolio import Portfolio
from trader.core.timeframes import BarView
from trader.core.types import Candle, Side
from trader.triggers.types import TriggerSignal


class StrategyParams(Strict):
    """The base of a strategy's parameter model: immutable, unknown keys refused, no NaN or
    infinity, `true`/`false` never a number. A strategy without parameters keeps it empty."""


P = TypeVar("P", bound=BaseModel)


class StrategyError(Exception):
    """A strategy failed: it raised, or returned something that is not a list of its own
    proposals. One line: the id, its file, when, and what; `line`: where in the strategy's
    file it raised ("my_rsi.py line 42"), when it did (the daemon logs it beside the line)."""

    def __init__(
        self, strategy_id: str, source: str, now: float | None, problem: str, line: str = ""
    ) -> None:
        where = source.partition(":")[0] or "shipped"
        when = "at start" if now is None else f"at {_utc(now)}"
        super().__init__(f"strategy {strategy_id!r} ({where}) failed {when}: {problem}")
        self.strategy_id = strategy_id
        self.problem = problem
        self.line = line


class StrategyBuildError(StrategyError):
    """A strategy that did not build: its constructor raised or overran its load limit.
    The configuration's problem (a command exits 2), not the run's."""


def _utc(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M UTC")


def failure(exc: BaseException) -> str:
    """An exception raised by strategy code, as one line."""
    try:
        text = " ".join(str(exc).split())[:300]
    except Exception:  # noqa: BLE001 -- an exception whose own text fails: its name will do
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(frozen=True, slots=True)
class StrategyContext:
    """Everything a strategy may look at: the cycle's triggers, the market (with the
    universe's tiers in `market.tiers`), the portfolio, and `now` (UTC epoch seconds)."""

    now: float
    triggers: Sequence[TriggerSignal]
    market: MarketSnapshot
    portfolio: Portfolio
    bar_view: BarView | None = None

    def with_bars(self, bar_view: BarView) -> StrategyContext:
        """This context with the bars one strategy declared (each sees its own); every
        field named, as `dataclasses.replace` would give, at a fraction of its cost."""
        return StrategyContext(
            now=self.now,
            triggers=self.triggers,
            market=self.market,
            portfolio=self.portfolio,
            bar_view=bar_view,
        )

    def sellable(self, product_id: str, strategy_id: str) -> Decimal:
        """What `strategy_id` holds of the product and may still sell: a position another
        strategy opened is left to that strategy (and to its exits)."""
        position = self.portfolio.positions.get(product_id)
        if position is None or position.strategy_id != strategy_id:
            return Decimal(0)
        return position.base_size - self.portfolio.open_sell_size(product_id)

    def buying(self, product_id: str) -> bool:
        """An entry (a BUY) for the product is already working."""
        return any(
            o.product_id == product_id and o.side is Side.BUY for o in self.portfolio.open_orders
        )

    def bars(self, product_id: str, timeframe: str) -> Sequence[Candle]:
        """The closed bars of `timeframe` for the product, oldest first: at most the history
        the strategy declared in `timeframes`, fewer while it warms up. Only bars that
        ended at or before `now` (`trader/core/timeframes.py`)."""
        if self.bar_view is None:
            raise ValueError("no bars here: declare them in the strategy's `timeframes`")
        return self.bar_view(product_id, timeframe)


class BaseStrategy(ABC, Generic[P]):
    """A strategy: deterministic, side-effect free; the same ctx gives the same proposals.

    Subclasses set `Params` to their parameter model, `timeframes` to the bars they read
    (`{"1h": 200}`: the last 200 closed hourly bars; 1m, 5m, 15m, 1h, 4h, 1d), and implement
    `propose`. `needs_triggers = True` says the strategy proposes nothing when `ctx.triggers`
    is empty: a step without triggers does not call it (what it would return there, no
    proposal, is taken as returned)."""

    Params: ClassVar[type[BaseModel]] = StrategyParams
    timeframes: ClassVar[Mapping[str, int]] = {}
    needs_triggers: ClassVar[bool] = False

    def __init__(self, strategy_id: str, params: P) -> None:
        self.strategy_id = strategy_id
        self.params = params

    @abstractmethod
    def propose(self, ctx: StrategyContext) -> list[Proposal]:
        """Proposals for this cycle (may be empty)."""


StrategyPlugin = Plugin[BaseStrategy[Any]]  # a registry entry resolved
