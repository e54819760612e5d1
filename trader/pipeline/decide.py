"""One decision step, the same for live, paper and backtest (U-1, S-1, STR-1, R-1..3, BT-2).

    core = DecisionCore(policy, universe, signals, strategies)
    core.on_candle(candle)               # incremental trigger update, once per closed candle
    step = core.decide(DecisionInputs(now, market, portfolio, risk_state))

`decide` does no I/O and reads no clock: loss limits (day roll, high-water mark, automatic
halt), the universe when due, triggers, strategies, the risk engine, then exits — which
always run, whatever happened to entries (R-2). The caller persists and acts on the result.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from trader.config.loader import LoadedConfig
from trader.config.plugins import shipped_plugins
from trader.config.policy import PolicyConfig
from trader.config.signals import SignalsConfig
from trader.config.strategies import StrategiesConfig
from trader.config.universe import UniverseConfig
from trader.core.decision import ExitOrder, ExitReason, Proposal, Verdict
from trader.core.market import CANDLE_SECONDS, MarketSnapshot
from trader.core.portfolio import Portfolio, Position
from trader.core.risk_state import RiskState
from trader.core.timeframes import BarBook
from trader.core.types import Candle, FeeRates
from trader.core.values import write_once
from trader.risk.config import RiskConfig
from trader.risk.engine import evaluate
from trader.risk.exit_confirm import ExitConfirmation, ExitScreen
from trader.risk.exits import exit_for, exits_due, filter_exits
from trader.risk.limits import HaltTransition, QuietLimits, check_loss_limits, observe_equity
from trader.strategies.base import StrategyContext, StrategyPlugin
from trader.strategies.registry import StrategyRegistry
from trader.triggers.engine import TriggerEngine
from trader.triggers.types import TriggerSignal
from trader.universe.builder import UniverseResult, build_universe, refresh_due
from trader.universe.changes import ExclusionChanges, exclusion_changes
from trader.universe.filters import ProductFilter, default_filters
from trader.universe.plugin import FilterPlugin, UniverseFilter, built_filters

ZERO: Final = Decimal(0)


@dataclass(frozen=True, slots=True, init=False)
class DecisionInputs:
    """What one step decides on. Read-only (`core/values.py`)."""

    now: float
    market: MarketSnapshot
    portfolio: Portfolio
    risk_state: RiskState

    def __init__(
        self, now: float, market: MarketSnapshot, portfolio: Portfolio, risk_state: RiskState
    ) -> None:
        self.now = now  # type: ignore[misc]
        self.market = market  # type: ignore[misc]
        self.portfolio = portfolio  # type: ignore[misc]
        self.risk_state = risk_state  # type: ignore[misc]


@dataclass(slots=True, init=False)
class DecisionStep:
    """Everything one step decided, with the numbers behind it, for audit and action.
    Filled stage by stage (`DecisionCore.STAGES`); `decide` runs them all. Built with only
    its inputs (its `__init__` written out: a dataclass-made one runs interpreted even in
    the compiled copy, `core/values.py`)."""

    inputs: DecisionInputs
    equity: Decimal
    risk_state: RiskState
    halt: HaltTransition | None
    market: MarketSnapshot | None
    universe: UniverseResult | None
    universe_refreshed: bool
    exclusion_changes: ExclusionChanges | None
    signals: Sequence[TriggerSignal]
    proposals: Sequence[Proposal]
    verdicts: Sequence[Verdict]
    exits: Sequence[ExitOrder]

    def __init__(self, inputs: DecisionInputs) -> None:
        self.inputs = inputs
        self.equity = ZERO
        self.risk_state = RiskState()
        self.halt = None
        self.market = None
        self.universe = None
        self.universe_refreshed = False
        self.exclusion_changes = None
        self.signals = ()
        self.proposals = ()
        self.verdicts = ()
        self.exits = ()

    @property
    def now(self) -> float:
        return self.inputs.now

    @property
    def approved(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.approved]


write_once(DecisionInputs)


def exit_prices(market: MarketSnapshot) -> dict[str, Decimal]:
    """A long position is worth what it can be sold for: the bid (R-2)."""
    return {pid: pm.quote.bid for pid, pm in market.products.items() if pm.quote is not None}


def read_only_portfolio(portfolio: Portfolio) -> Portfolio:
    """The portfolio over read-only views of its mappings and a tuple of its open orders."""
    return Portfolio(
        portfolio.quote_currency,
        MappingProxyType(portfolio.cash),
        MappingProxyType(portfolio.positions),
        tuple(portfolio.open_orders),
        portfolio.balances_known,
    )


def _registry(
    strategies: StrategiesConfig, plugins: Mapping[str, StrategyPlugin] | None
) -> StrategyRegistry:
    if plugins is None:
        plugins = shipped_plugins(strategies)
    return StrategyRegistry.from_config(strategies, plugins)


def _filter_chain(
    universe: UniverseConfig,
    filters: Sequence[FilterPlugin],
    built: Sequence[UniverseFilter[Any]] | None,
) -> tuple[ProductFilter, ...]:
    """The shipped filters, then the user's (STR-2, U-1): `built`, else `filters` built
    here, each within `universe.load_limit_s` (FilterError)."""
    if built is None:
        built = built_filters(filters, universe.load_limit_s)
    return (*default_filters(universe), *built)


class DecisionCore:
    """Holds the incremental trigger state and the last universe; `decide` is pure given those."""

    def __init__(
        self,
        policy: PolicyConfig,
        universe: UniverseConfig,
        signals: SignalsConfig,
        strategies: StrategiesConfig,
        fee_rates: FeeRates | None = None,
        plugins: Mapping[str, StrategyPlugin] | None = None,
        filters: Sequence[FilterPlugin] = (),
        candle_seconds: int = CANDLE_SECONDS,
        registry: StrategyRegistry | None = None,
        built: Sequence[UniverseFilter[Any]] | None = None,
    ) -> None:
        """`plugins`: the strategies the loaded configuration resolved (`LoadedConfig.plugins`);
        without them only shipped strategies can run; `registry`: those strategies built
        already (off the event loop), else built here. `filters`: the user's universe filters
        (`LoadedConfig.filters`), run after the shipped chain; `built`: those filters built
        already (off the event loop), else built here. `candle_seconds`: the length
        of the closed candles fed (the daemon's 1-minute candles, a backtest's bars); the
        triggers and the strategies' timeframes are built from them (ValueError when a
        timeframe is finer than the candles)."""
        self.policy = policy
        self.universe_config = universe
        self.filters = _filter_chain(universe, filters, built)
        self.triggers = TriggerEngine(signals, candle_seconds)
        self.candle_seconds = candle_seconds
        self.registry = registry if registry is not None else _registry(strategies, plugins)
        self.bars = BarBook(self.registry.needs(), candle_seconds)
        self.triggers.candle_sinks.append(self._add_bar)
        self.triggers.restart_sinks.append(self._restart_bars)
        self.risk_config = RiskConfig.from_configs(policy, universe, strategies, fee_rates)
        self.universe: UniverseResult | None = None
        # price exits read off an outlier, waiting for confirmation (all modes alike)
        self.exit_confirmation = ExitConfirmation()
        self._portfolio_seen: Portfolio | None = None
        self._portfolio_shown = Portfolio()
        # False: every stage runs its full path at every step (what the shortcuts for a step
        # where a stage has nothing to do are tested against; `registry.skip_untriggered`)
        self.shortcuts = True
        self._quiet_limits = QuietLimits()  # the last step that found no loss limit

    @classmethod
    def from_loaded(
        cls,
        loaded: LoadedConfig,
        strategies: StrategiesConfig | None = None,
        candle_seconds: int = CANDLE_SECONDS,
        registry: StrategyRegistry | None = None,
        built: Sequence[UniverseFilter[Any]] | None = None,
    ) -> DecisionCore:
        """The core a loaded configuration describes, its strategies and universe filters
        resolved (`strategies`: a variant of the registry, e.g. one strategy alone;
        `registry`: its strategies built already; `built`: its filters built already)."""
        return cls(
            loaded.policy,
            loaded.universe,
            loaded.signals,
            loaded.strategies if strategies is None else strategies,
            plugins=loaded.plugins,
            filters=loaded.filters,
            candle_seconds=candle_seconds,
            registry=registry,
            built=built,
        )

    def reconfigure(
        self,
        policy: PolicyConfig,
        universe: UniverseConfig,
        strategies: StrategiesConfig,
        plugins: Mapping[str, StrategyPlugin] | None = None,
        filters: Sequence[FilterPlugin] = (),
        registry: StrategyRegistry | None = None,
        built: Sequence[UniverseFilter[Any]] | None = None,
    ) -> None:
        """A reloaded policy (OPS-3 SIGHUP): new limits, strategies and universe rules from
        the next step on; the measured fees stay; the universe is rebuilt at once.
        `registry`, `built`: the new strategies and filters built already (off the event
        loop), else built here."""
        if registry is None:  # first: a strategy or filter that fails changes nothing
            registry = _registry(strategies, plugins)
        chain = _filter_chain(universe, filters, built)
        self.policy = policy
        self.universe_config = universe
        self.filters = chain
        self.registry = registry
        if self.registry.needs() != self.bars.needs:  # bars kept while the needs stay
            self.bars = BarBook(self.registry.needs(), self.candle_seconds)
        self.risk_config = RiskConfig.from_configs(
            policy, universe, strategies, self.risk_config.fee_rates
        )
        self.universe = None

    def set_fee_rates(self, rates: FeeRates) -> None:
        """X-3: the fees measured from the venue replace the configured fallback."""
        self.risk_config = replace(self.risk_config, fee_rates=rates)

    def _add_bar(self, candle: Candle) -> None:
        self.bars.add(candle)

    def _restart_bars(self, product_id: str) -> None:
        self.bars.restart(product_id)

    def on_candle(self, candle: Candle) -> bool:
        return self.triggers.on_candle(candle)

    def restart(self, product_id: str, at: int) -> None:
        """The product's data before `at` does not join what follows (missing data,
        `trader.core.gaps`): its trigger windows and strategy bars start again there."""
        self.triggers.restart(product_id, at)

    def decide(self, inputs: DecisionInputs) -> DecisionStep:
        step = DecisionStep(inputs)
        for _name, stage in self.stages():
            stage(step)
        return step

    def stages(self) -> list[tuple[str, Callable[[DecisionStep], None]]]:
        """The step's stages in order; the daemon times each one, the backtest just runs them."""
        return [
            ("limits", self.limits),
            ("universe", self.select_universe),
            ("triggers", self.detect),
            ("strategies", self.propose),
            ("risk", self.assess),
            ("exits", self.exits),
        ]

    def limits(self, step: DecisionStep) -> None:
        """R-3: roll the UTC day, raise the high-water mark, halt on a loss limit — only on
        known balances (R-5: an unknown figure moves no counter and judges no limit)."""
        portfolio = step.inputs.portfolio
        step.equity = portfolio.equity(step.inputs.market.mid_prices(portfolio.positions))
        state, now = step.inputs.risk_state, step.now
        if not step.inputs.portfolio.balances_known:
            step.risk_state = state
            return
        if self.shortcuts and self._quiet_limits.same(state, step.equity, self.policy, now):
            step.risk_state = state
            return
        step.halt = check_loss_limits(state, step.equity, self.policy, now)
        step.risk_state = step.halt.state if step.halt else observe_equity(state, step.equity, now)
        if step.halt is None and step.risk_state is state:
            self._quiet_limits.note(state, step.equity, self.policy, now)

    def select_universe(self, step: DecisionStep) -> None:
        step.universe, step.universe_refreshed, step.exclusion_changes = self._universe(
            step.inputs.market, step.now
        )
        step.market = step.inputs.market.with_tiers(step.universe.tiers())

    def detect(self, step: DecisionStep) -> None:
        market = self._market(step)
        step.signals = self.triggers.evaluate(step.now, market.regime, products=list(market.tiers))

    def propose(self, step: DecisionStep) -> None:
        """The strategies see read-only views (STR-1): what one changes cannot change what
        the risk engine, the exits or the next strategy see. A step without triggers
        calls no strategy that needs them (`BaseStrategy.needs_triggers`): with only those,
        not even its context is built."""
        registry = self.registry
        if not step.signals and registry.calls_none_untriggered():
            step.proposals = registry.propose_untriggered(step.now)
            return
        step.proposals = registry.propose_all(self.strategy_context(step), self.bars)

    def strategy_context(self, step: DecisionStep) -> StrategyContext:
        """What the step's strategies are handed (without their bars: each gets its own)."""
        market = step.market  # read-only already (`MarketSnapshot.with_tiers`)
        if market is None:
            market = step.inputs.market.with_tiers(step.inputs.market.tiers)
        portfolio = step.inputs.portfolio
        if portfolio is not self._portfolio_seen:  # the state source reuses an unchanged one
            self._portfolio_seen, self._portfolio_shown = portfolio, read_only_portfolio(portfolio)
        return StrategyContext(step.now, tuple(step.signals), market, self._portfolio_shown)

    def assess(self, step: DecisionStep) -> None:
        step.verdicts = evaluate(
            step.proposals,
            step.inputs.portfolio,
            self._market(step),
            step.risk_state,
            self.risk_config,
            step.now,
        )

    def exits(self, step: DecisionStep, only: Collection[str] | None = None) -> None:
        """R-2: always computed; only HALTED filters them out. `only`: the exits of these
        products alone (the check between cycles where their prices moved; each exit
        depends on its own position only). A price exit read off an outlier waits for
        confirmation (`risk/exit_confirm.py`)."""
        market = step.inputs.market
        positions = step.inputs.portfolio.positions
        if only is not None:
            positions = {pid: positions[pid] for pid in only if pid in positions}
        elif self.exit_confirmation.pending:
            held = [pid for pid, position in positions.items() if position.base_size > ZERO]
            self.exit_confirmation.keep_only(held, step.now)
        if not positions and self.shortcuts:  # nothing held: no exit, nothing screened
            step.exits = ()
            return
        due = exits_due(
            positions,
            exit_prices(market),
            step.now,
            self.policy,
            rules={pid: pm.rules for pid, pm in market.products.items()},
            confirm=ExitScreen(self.exit_confirmation, market.products, self.policy),
        )
        step.exits = tuple(filter_exits(due, step.risk_state))

    def exit_due(
        self,
        positions: Mapping[str, Position],
        bid: Callable[[str], Decimal | None],
        now: float,
        only: Collection[str] | None = None,
    ) -> bool:
        """Whether `exits` would find an exit due for a held position (of `only`) when each
        product's price is `bid(product)` (None: no price, only max hold can fire): the
        same rule (`exit_for`), without a snapshot. The check between cycles asks this
        first and builds its step only when it is True (a position whose size floors to
        dust also answers True, and so does any under HALTED, and a price exit waiting for
        confirmation: the step drops them). A product whose price fires no price exit
        ends its wait for confirmation here."""
        waiting = self.exit_confirmation
        for product_id in positions if only is None else only:
            position = positions.get(product_id)
            if position is None or position.base_size <= ZERO:
                continue
            found = exit_for(position, bid(product_id), now, self.policy)
            if waiting.pending and (found is None or found[0] is ExitReason.MAX_HOLD):
                waiting.dismiss(product_id, now)
            if found is not None:
                return True
        return False

    @staticmethod
    def _market(step: DecisionStep) -> MarketSnapshot:
        return step.market if step.market is not None else step.inputs.market

    def _universe(
        self, market: MarketSnapshot, now: float
    ) -> tuple[UniverseResult, bool, ExclusionChanges | None]:
        previous = self.universe
        if previous is not None and not refresh_due(previous, now, self.universe_config):
            return previous, False, None
        fresh = build_universe(market.products, self.universe_config, now, self.filters)
        changes = exclusion_changes(previous.excluded if previous else {}, fresh.excluded)
        self.universe = fresh
        return fresh, True, changes
