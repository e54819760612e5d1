"""Where a trading cycle reads the portfolio and the risk state from (R-1, R-3, R-5).

Both sources read the same rows through the same loaders (`desk/snapshot.py`); they differ
only in when they read:
- `StoredState` (the daemon) reads the state file at every cycle: fills, cancels and
  operator commands change it at any moment between cycles.
- `CachedState` (the backtest) reads it again only after something could have written it
  (an act, a halt, an own-order event, the order manager's timers: its owner calls
  `changed()` after each). Between reads it applies the time filters at the step's time
  (cooldown expiry, the 24 h of recent entries) and carries the day and high-water
  counters the last step computed, because the backtest records only the steps that did
  something. Reads at the same time with nothing changed return the same pair.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Protocol

from trader.core.portfolio import Portfolio
from trader.core.risk_state import RiskState
from trader.desk.keeper import StateKeeper
from trader.desk.snapshot import DAY_S, load_portfolio, load_risk_state
from trader.pipeline.decide import DecisionStep
from trader.state.db import Database


class StateSource(Protocol):
    async def read(self, now: float) -> tuple[Portfolio, RiskState]: ...

    def decided(self, step: DecisionStep) -> None:
        """The step's counters are known (called once per step, before its record)."""

    def changed(self) -> None:
        """Something may have written the state file."""


class Balances(Protocol):
    async def cash(self) -> tuple[dict[str, Decimal], bool]: ...


class StoredState:
    """Read from the state file at every cycle."""

    def __init__(self, db: Database, keeper: StateKeeper, balances: Balances, quote: str) -> None:
        self.db = db
        self.keeper = keeper
        self.balances = balances
        self.quote_currency = quote

    async def read(self, now: float) -> tuple[Portfolio, RiskState]:
        cash, known = await self.balances.cash()
        quote = self.quote_currency
        portfolio = await self.db.run(lambda conn: load_portfolio(conn, cash, quote, known))
        status = self.keeper.status
        risk = await self.db.run(lambda conn: load_risk_state(conn, status, now))
        return portfolio, risk

    def decided(self, step: DecisionStep) -> None:
        return None

    def changed(self) -> None:
        return None


class CachedState:
    """Read again only after a possible write (`changed()`), never on a timer: every
    write to the state file in a backtest follows an act, a halt, an own-order event or a
    timer of the order manager, and the backtest calls `changed()` after each."""

    def __init__(self, stored: StoredState) -> None:
        self.stored = stored
        self._cache: tuple[Portfolio, RiskState] | None = None
        self._counters: RiskState | None = None
        self._last: tuple[float, tuple[Portfolio, RiskState]] | None = None

    async def read(self, now: float) -> tuple[Portfolio, RiskState]:
        last = self._last
        if last is not None and last[0] == now:
            return last[1]
        if self._cache is None:
            self._cache = await self.stored.read(now)
        portfolio, risk = self._cache
        risk = replace(
            risk,
            cooldowns={p: c for p, c in risk.cooldowns.items() if c.until > now},
            recent_trades=tuple(r for r in risk.recent_trades if r.time > now - DAY_S),
        )
        counters = self._counters
        if counters is not None:
            risk = replace(
                risk,
                high_water_mark=counters.high_water_mark,
                day_start_equity=counters.day_start_equity,
                day=counters.day,
            )
        self._last = (now, (portfolio, risk))
        return portfolio, risk

    def decided(self, step: DecisionStep) -> None:
        self._counters = step.risk_state
        self._last = None

    def changed(self) -> None:
        self._cache = None
        self._last = None
