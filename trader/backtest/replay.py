"""One strategy alone over recorded bars, the portfolio held constant (STR-6).

The bars go through the real decision core, built from the loaded configuration with only
strategy NAME enabled (its budget kept), fed exactly as the backtest feeds them
(`backtest/feed.py`): at each bar time t the bar's opening touch, then the decision at t on
the candles closed before t, then the bar's 1-minute pieces closed into the candle store
and the core. No orders and no database: at every decision the portfolio is the same
scripted one, so that runs are comparable, and the risk state is fresh. Each portfolio
(`flat`: quote cash only; `held`: a position in every product, so that SELL paths run
too) has its own strategy instance; they take turns on one core at each time, which is what
a core of their own would give (the universe is built and the triggers advanced once per
time; nothing of the portfolio reaches them). What is kept is each decision's proposals of
the strategy, by (time, portfolio, product); the risk engine and the exits, which come
after and change nothing a later decision sees, are not run.

Feeding before a run's first decision asks the strategy nothing, so a `Warm` is the
recipe of that feeding with its result: the first run from it continues from the fed
market and core, every later run from the same recipe fed again (never a copy of the
objects: the compiled modules' classes do not copy, see `trader/native.py`), each with
strategy instances built afresh (`Replay.run`). Products count as listed long before
the data: the listing-age rule would hide the first 30 days of a set from the strategy,
and it is the universe's business, not the strategy's.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from trader.backtest.data import Dataset
from trader.backtest.feed import merged_slots, slot_opening
from trader.backtest.fills import BarFills
from trader.backtest.market import BacktestMarket
from trader.config.loader import LoadedConfig
from trader.config.strategies import StrategiesConfig
from trader.core.decision import Proposal
from trader.core.portfolio import Portfolio, Position
from trader.core.products import floor_to_increment
from trader.core.risk_state import RiskState
from trader.core.types import Candle
from trader.desk.cycle import STORE_HISTORY
from trader.desk.snapshot import build_market
from trader.pipeline.decide import DecisionCore, DecisionInputs, DecisionStep
from trader.strategies.registry import StrategyRegistry

FLAT_CASH = Decimal(10_000)  # quote cash of both portfolios
HELD_NOTIONAL = Decimal(1_000)  # the `held` portfolio's position in each product, at start
LISTED_LONG_AGO = 0.0

Key = tuple[int, str, str]  # (decision time, portfolio, product)
Decisions = dict[Key, Proposal]


def single_strategy(config: StrategiesConfig, name: str) -> StrategiesConfig:
    """The registry with only `name` enabled, every entry's budget kept."""
    registry = {
        sid: entry.model_copy(update={"enabled": sid == name})
        for sid, entry in config.registry.items()
    }
    return config.model_copy(update={"registry": registry})


def constant_portfolios(
    dataset: Dataset, quote: str, strategy_id: str, start: int
) -> dict[str, Portfolio]:
    """`flat`: quote cash only; `held`: the same cash and about `HELD_NOTIONAL` of every
    product, bought at its last close before `start`."""
    cash = {quote: FLAT_CASH}
    positions = {}
    for pid, bars in sorted(dataset.series.items()):
        if not len(bars):
            continue
        price = bars.candle(max(bisect.bisect_left(bars.starts, start) - 1, 0)).close
        increment = dataset.rules[pid].base_increment
        size = max(floor_to_increment(HELD_NOTIONAL / price, increment), increment)
        positions[pid] = Position(pid, size, price, float(start), strategy_id=strategy_id)
    return {
        "flat": Portfolio(quote, cash),
        "held": Portfolio(quote, cash, positions),
    }


@dataclass
class Warm:
    """The market and the core fed from `feed_from` up to `start`, before any decision;
    `used` once a run has continued from them."""

    start: int
    feed_from: int
    dataset: Dataset
    market: BacktestMarket
    core: DecisionCore
    fills: BarFills
    used: bool = False


@dataclass
class Run:
    decisions: Decisions = field(default_factory=dict)
    times: int = 0


class Replay:
    """One strategy of a loaded configuration over recorded bars, portfolios held constant."""

    def __init__(self, loaded: LoadedConfig, name: str, portfolios: Mapping[str, Portfolio]):
        self.loaded = loaded
        self.name = name
        self.strategies = single_strategy(loaded.strategies, name)
        self.portfolios = dict(portfolios)

    def warm(self, dataset: Dataset, feed_from: int, start: int) -> Warm:
        """Feed the bars of [feed_from, start): triggers and bars warm up, nothing decides."""
        loaded = self.loaded
        market = BacktestMarket(STORE_HISTORY, dataset.bar_seconds)
        core = DecisionCore.from_loaded(loaded, self.strategies, dataset.bar_seconds)
        dataset.restart_after_missing(loaded.signals.missing_data.rule(), core.restart)
        fills = BarFills(loaded.app.backtest, dataset.bar_seconds, loaded.app.paper.depth_levels)
        for t, bars in merged_slots(dataset, feed_from, start):
            _open(market, fills, dataset, bars)
            core.triggers.advance(t)
            _close(market, fills, core, bars)
        return Warm(start, feed_from, dataset, market, core, fills)

    def run(self, warm: Warm, dataset: Dataset, end: int) -> Run:
        """Decide at every bar time of [warm.start, end), continuing from the warm market
        and core (fed again when a run already continued from them), once per portfolio,
        each portfolio with its own strategy instance, built afresh."""
        if warm.used:
            warm = self.warm(warm.dataset, warm.feed_from, warm.start)
        warm.used = True
        market, fills, core = warm.market, warm.fills, warm.core
        registries = {label: self._registry() for label in self.portfolios}
        listed = dict.fromkeys(dataset.series, LISTED_LONG_AGO)
        run = Run()
        for t, bars in merged_slots(dataset, warm.start, end):
            _open(market, fills, dataset, bars)
            snapshot = build_market(dataset.rules, market, core, listed, t, advance=True)
            for label, registry in registries.items():
                core.registry = registry
                inputs = DecisionInputs(float(t), snapshot, self.portfolios[label], RiskState())
                for proposal in self._proposals(core, inputs):
                    run.decisions[(t, label, proposal.product_id)] = proposal
            run.times += 1
            _close(market, fills, core, bars)
        return run

    def _proposals(self, core: DecisionCore, inputs: DecisionInputs) -> list[Proposal]:
        """The core's stages up to the strategies' (the risk engine and the exits after
        them change nothing a later decision sees). A second portfolio at the same time
        finds the universe already built and the triggers already advanced: the same ones
        a core of its own would have."""
        step = DecisionStep(inputs)
        for stage_name, stage in core.stages():
            stage(step)
            if stage_name == "strategies":
                break
        return [p for p in step.proposals if p.strategy_id == self.name]

    def _registry(self) -> StrategyRegistry:
        return StrategyRegistry.from_config(self.strategies, self.loaded.plugins)


def _open(market: BacktestMarket, fills: BarFills, dataset: Dataset, bars: list[Candle]) -> None:
    for bar in bars:
        market.set_quote(slot_opening(dataset, fills, bar))


def _close(market: BacktestMarket, fills: BarFills, core: DecisionCore, bars: list[Candle]) -> None:
    for bar in bars:
        market.add_candle(bar)
        core.on_candle(bar)
        fills.closed(bar)
