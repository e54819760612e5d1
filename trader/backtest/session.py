"""The live stack, assembled for a backtest (BT-1): one process, one simulated clock.

The very objects the daemon runs in PAPER — state keeper, paper exchange (the simulated
venue's matching engine), order desk (execution engine, tracker, order manager, cooldown
recorder), actor, decision core — over a scratch SQLite file, with the clock, the intent
ids, the client-order-id namespace and the paper venue's seed fixed so that a run is
reproducible byte for byte.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from trader.backtest.data import Dataset
from trader.backtest.fills import BarFills
from trader.backtest.market import BacktestMarket, BacktestVenue
from trader.config.app import ExecutionConfig
from trader.config.loader import LoadedConfig
from trader.core.clock import SimClock
from trader.core.timeframes import timeframe_seconds
from trader.core.types import Mode
from trader.desk.act import Actor
from trader.desk.cycle import EVENTFUL_STEPS, STORE_HISTORY, TradingCycle
from trader.desk.keeper import StateKeeper
from trader.desk.orders import OrderDesk
from trader.desk.state_source import CachedState, StoredState
from trader.execution.ids import OrderIds
from trader.execution.paper import PaperExchange
from trader.ops.metrics import Metrics
from trader.pipeline.decide import DecisionCore
from trader.risk.fees import fallback_rates
from trader.state.db import Database

PAPER_SEED = 20_210_101
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "trader/backtest")


class IntentIds:
    """Counted intent ids (`bt-000001`, ...) instead of random ones."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"bt-{self.count:06d}"


@dataclass
class Session:
    loaded: LoadedConfig
    dataset: Dataset
    clock: SimClock
    db: Database
    metrics: Metrics
    keeper: StateKeeper
    market: BacktestMarket
    paper: PaperExchange
    desk: OrderDesk
    actor: Actor
    core: DecisionCore
    cycle: TradingCycle
    fills: BarFills
    state: CachedState  # the cycle's state source, as itself

    @property
    def quote_currency(self) -> str:
        return self.loaded.universe.quote_currency

    async def close(self) -> None:
        await self.db.close()


def refuse_finer_timeframes(loaded: LoadedConfig, bar_seconds: int) -> None:
    """STR-4, BT-1: triggers or a strategy reading bars finer than the data's would decide
    on synthetic sub-bar candles; refused (ValueError naming the setting, its timeframe and
    the data's). Coarser timeframes are built from the data's bars."""
    signals = loaded.signals
    if signals.bar_seconds < bar_seconds or signals.bar_seconds % bar_seconds:
        raise ValueError(
            f"signals.timeframe is {signals.timeframe} but the data's bars are "
            f"{bar_seconds // 60} min: the triggers are never computed on pieces of a bar; "
            f"set `timeframe:` in signals.yaml to a multiple of the data's bars (the daemon "
            f"then decides on such bars too) or backtest finer data"
        )
    for strategy_id in loaded.strategies.enabled_ids():
        plugin = loaded.plugins.get(strategy_id)
        for timeframe in plugin.cls.timeframes if plugin is not None else {}:
            if timeframe_seconds(timeframe) < bar_seconds:
                raise ValueError(
                    f"strategy {strategy_id} reads {timeframe} bars but the data's bars are "
                    f"{bar_seconds // 60} min: a timeframe finer than the data is refused"
                )


async def open_session(
    loaded: LoadedConfig, dataset: Dataset, db_path: Path, start: float
) -> Session:
    """The stack at `start`, over a fresh state file at `db_path`."""
    if db_path.exists():
        db_path.unlink()
    clock = SimClock(start)
    db = Database.open_scratch(db_path, clock)
    try:
        return await _assemble(loaded, dataset, db, clock)
    except BaseException:
        await db.close()
        raise


async def _assemble(
    loaded: LoadedConfig, dataset: Dataset, db: Database, clock: SimClock
) -> Session:
    metrics = Metrics()
    keeper = await StateKeeper.load(db, metrics, clock)
    market = BacktestMarket(STORE_HISTORY, dataset.bar_seconds)
    rules = dataset.rules
    paper_config = loaded.app.paper
    paper = PaperExchange(
        BacktestVenue(rules, market, clock),
        list(rules.values()),
        {loaded.universe.quote_currency: Decimal(str(paper_config.quote_balance))},
        fallback_rates(loaded.policy),
        latency_s=0.0,
        depth_levels=paper_config.depth_levels,
        step_bps=Decimal(str(paper_config.level_step_bps)),
        clock=clock,
        seed=PAPER_SEED,
        fill_on_book=False,  # the bar fill model's printed trades fill resting orders
    )
    desk = OrderDesk(
        db,
        paper,
        metrics,
        keeper,
        OrderIds(NAMESPACE),
        lifetimes_in_bars(loaded.app.execution, dataset.bar_seconds),
        Mode.PAPER.value,
        market.quote,
        rules.get,
        clock=clock,
        timer=clock,
        new_id=IntentIds(),
    )
    desk.record_cooldowns(loaded.policy)
    report = await desk.reconcile(startup=True)
    if not report.ok:
        raise RuntimeError(f"backtest start: reconciliation failed: {report.mismatches}")
    actor = Actor(loaded, db, paper, desk, rules, clock)
    actor.quote = market.quote
    core = DecisionCore.from_loaded(loaded, candle_seconds=dataset.bar_seconds)
    dataset.restart_after_missing(loaded.signals.missing_data.rule(), core.restart)
    core.set_fee_rates(await paper.fee_rates())
    stored = StoredState(db, keeper, actor, loaded.universe.quote_currency)
    state = CachedState(stored, db, paper.engine.accounts)
    cycle = TradingCycle(
        loaded, db, keeper, core, actor, market, rules, dataset.listed_at, state, EVENTFUL_STEPS
    )
    fills = BarFills(loaded.app.backtest, dataset.bar_seconds, paper_config.depth_levels)
    return Session(
        loaded, dataset, clock, db, metrics, keeper, market, paper, desk, actor, core, cycle, fills,
        state,
    )  # fmt: skip


def lifetimes_in_bars(execution: ExecutionConfig, bar_seconds: int) -> ExecutionConfig:
    """BT-1: an entry's lifetime rounded up to whole bars, so the first attempt works
    through the bar it was placed at (a 30 s lifetime on 5-minute bars is one bar). The
    venue's `end_time` is the next whole second after now + lifetime, hence the - 1: the
    order expires exactly at the end of its last bar."""
    bars = max(1, math.ceil(execution.entry_ttl_s / bar_seconds))
    return execution.model_copy(update={"entry_ttl_s": float(bars * bar_seconds - 1)})
