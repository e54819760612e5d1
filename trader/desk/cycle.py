"""One trading cycle for every mode (BT-1, R-1, R-2, R-3): inputs → the decision core's
stages → record → act.

The daemon drives it as timed stages on wall time (`daemon/trading/runtime.py`); the
backtest steps it bar by bar on a simulated clock (`backtest/runner.py`). Both read their
inputs through it, decide with the same core, write the same audit rows and act through
the same actor and order desk. They differ only at the edges the cycle is built with: what
feeds the market (live data or recorded bars), when the state file is read again
(`desk/state_source.py`), and which steps leave a record (`Recording`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from trader.config.loader import LoadedConfig
from trader.core.portfolio import Portfolio, Position
from trader.core.risk_state import RiskState
from trader.core.types import ProductRules
from trader.desk.act import Actor
from trader.desk.keeper import StateKeeper
from trader.desk.record import record_exclusions, record_step
from trader.desk.snapshot import MarketFeed, build_market
from trader.desk.state_source import StateSource
from trader.pipeline.decide import DecisionCore, DecisionInputs, DecisionStep
from trader.state.cycles import record_finished_cycle
from trader.state.db import Database, transaction

STORE_HISTORY: Final = 120  # closed candles kept per product; triggers keep their own windows


@dataclass(frozen=True, slots=True)
class Recording:
    """Which steps leave audit rows. The daemon records every step (its valuation and
    counters feed `trader status` and the next cycle); the backtest records only the steps
    that proposed, exited or moved the universe, and writes their `cycles` row itself (it
    has no cycle runner)."""

    every_step: bool = True
    cycle_mode: str | None = None  # set: a finished `cycles` row per recorded step


EVERY_STEP: Final = Recording()
EVENTFUL_STEPS: Final = Recording(every_step=False, cycle_mode="BACKTEST")


def eventful(step: DecisionStep) -> bool:
    changes = step.exclusion_changes
    moved = changes is not None and bool(changes.added or changes.changed or changes.readmitted)
    return bool(step.proposals or step.exits or moved)


def products_to_trade(step: DecisionStep) -> set[str]:
    """The products the step's exits and approved entries act on."""
    return {e.product_id for e in step.exits} | {v.proposal.product_id for v in step.approved}


@dataclass
class TradingCycle:
    loaded: LoadedConfig
    db: Database
    keeper: StateKeeper
    core: DecisionCore
    actor: Actor
    market: MarketFeed
    rules: Mapping[str, ProductRules]
    listed_at: Mapping[str, float]
    state: StateSource
    recording: Recording = EVERY_STEP

    async def inputs(
        self, now: float, *, advance: bool = True, only: Collection[str] | None = None
    ) -> DecisionInputs:
        """The step's inputs at `now`; `advance` first applies the closed candles to the
        triggers (a cycle does; exits checked between cycles do not touch trigger state);
        `only`: the market of these products alone (an exit check where one moved)."""
        portfolio, risk = await self._state_at(now)
        return self._inputs(now, portfolio, risk, advance=advance, only=only)

    async def _state_at(self, now: float) -> tuple[Portfolio, RiskState]:
        """The state source's pair at `now`: the cached one when current, else read."""
        pair = self.state.current(now)
        return await self.state.read(now) if pair is None else pair

    async def _positions_at(self, now: float) -> Mapping[str, Position]:
        """The positions of the current pair, else as the state source reads them alone."""
        pair = self.state.current(now)
        return await self.state.positions() if pair is None else pair[0].positions

    def _inputs(
        self,
        now: float,
        portfolio: Portfolio,
        risk: RiskState,
        *,
        advance: bool,
        only: Collection[str] | None,
    ) -> DecisionInputs:
        rules = self.rules if only is None else {p: self.rules[p] for p in only if p in self.rules}
        market = build_market(rules, self.market, self.core, self.listed_at, now, advance=advance)
        return DecisionInputs(now, market, portfolio, risk)

    def _bid(self, product_id: str) -> Decimal | None:
        """The price the step's exits stage reads for a product: its bid in the snapshot,
        which holds the products with rules and a quote."""
        quote = self.market.quote(product_id) if product_id in self.rules else None
        return None if quote is None else quote.bid

    def stages(self) -> list[tuple[str, Callable[[DecisionStep], None]]]:
        """The decision core's stages in order (the daemon times each one)."""
        return self.core.stages()

    def decide(self, inputs: DecisionInputs) -> DecisionStep:
        return self.core.decide(inputs)

    async def record(self, cycle_id: str, step: DecisionStep) -> dict[str, str]:
        """A loss-limit halt (R-3) to the keeper, then the step's audit rows in one call to
        the writer and one transaction; returns proposal key → proposal id for the
        intents."""
        self.state.decided(step)
        if step.halt is not None:
            await self.keeper.apply_limit(step.halt)
            self.state.changed()
        if not (self.recording.every_step or eventful(step)):
            return {}
        mode, config_hash = self.recording.cycle_mode, self.loaded.config_hash

        def write(conn: sqlite3.Connection) -> dict[str, str]:
            with transaction(conn):  # one commit: the cycle row with its audit rows
                if mode is not None:
                    record_finished_cycle(conn, cycle_id, step.now, config_hash, mode)
                ids = record_step(conn, cycle_id, step)
                record_exclusions(conn, cycle_id, step)
            return ids

        # audit rows only: the risk counters it stores are the step's, which a cached
        # state pair already carries (`StateSource.decided`)
        return await self.db.run(write, audit=True)

    async def act(self, step: DecisionStep, cycle_id: str, proposal_ids: dict[str, str]) -> None:
        """Exits first, then approved entries, through the one order path."""
        if not (step.exits or step.approved):
            return
        await self.actor.act(step, cycle_id, proposal_ids)
        self.state.changed()

    async def exits_between_cycles(self, now: float, only: Collection[str] | None = None) -> None:
        """R-2: exits also run between cycles, on the latest prices (of the products `only`
        when given: where the price moved; the others' exits wait for their own check)."""
        if not self.core.exit_due(await self._positions_at(now), self._bid, now, only):
            return  # at most price updates: no exit due, no step to build (nor pair read)
        portfolio, risk = await self._state_at(now)
        step = DecisionStep(self._inputs(now, portfolio, risk, advance=False, only=only))
        self.core.exits(step, only)
        if step.exits:
            await self.actor.exit_positions(step.exits, None)
            self.state.changed()
