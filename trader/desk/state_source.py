"""Where a trading cycle reads the portfolio and the risk state from (R-1, R-3, R-5).

Both sources read the same rows through the same loaders (`desk/snapshot.py`); they differ
only in when they read:
- `StoredState` (the daemon) reads the state file at every cycle: fills, cancels and
  operator commands change it at any moment between cycles.
- `CachedState` (the backtest) reads it again only after what the pair is read from
  changed: the state file (the database counts the calls that wrote it) or the paper
  exchange's balances (its accounts count their moves), or after `changed()`. It compares
  the two counts at every point of a bar's path, so it holds the counters themselves
  rather than a function that returns them. Between
  reads it applies the time filters at the step's time (cooldown expiry, the 24 h of
  recent entries) and carries the day and high-water counters the last step computed,
  because the backtest records only the steps that did something. With nothing changed a
  read returns the same pair until a cooldown ends or an entry leaves the 24 h.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from trader.core.portfolio import Portfolio, Position
from trader.core.risk_state import RiskState
from trader.core.values import write_once
from trader.desk.keeper import StateKeeper
from trader.desk.snapshot import DAY_S, load_portfolio, load_positions, load_risk_state
from trader.matching.accounts import Accounts
from trader.pipeline.decide import DecisionStep
from trader.state.db import Database


class StateSource(Protocol):
    async def read(self, now: float) -> tuple[Portfolio, RiskState]: ...

    async def positions(self) -> Mapping[str, Position]:
        """The positions `read` would hold (they do not depend on the time), read alone
        where they need reading (an exit check between cycles reads nothing else unless an
        exit is due)."""

    def current(self, now: float) -> tuple[Portfolio, RiskState] | None:
        """What `read(now)` would return when that needs no reading, else None."""

    def decided(self, step: DecisionStep) -> None:
        """The step's counters are known (called once per step, before its record)."""

    def changed(self) -> None:
        """Something the pair holds changed outside the state file (balances)."""


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
        status = self.keeper.status
        return await self.db.run(  # one read of the file: the pair is consistent
            lambda conn: (
                load_portfolio(conn, cash, quote, known),
                load_risk_state(conn, status, now),
            )
        )

    async def positions(self) -> Mapping[str, Position]:
        return await self.db.run(load_positions)

    def current(self, now: float) -> tuple[Portfolio, RiskState] | None:
        return None  # the file is read at every cycle

    def decided(self, step: DecisionStep) -> None:
        return None

    def changed(self) -> None:
        return None


class CachedState:
    """Read again only when the state file's writes (`db.writes`) or the paper balances'
    moves (`accounts.moves`) differ from the last read's, or after `changed()`; never on
    a timer: in a backtest nothing else changes what the pair holds."""

    def __init__(self, stored: StoredState, db: Database, accounts: Accounts) -> None:
        self.stored = stored
        self.db = db
        self.accounts = accounts
        self._cache: tuple[Portfolio, RiskState] | None = None
        self._writes_at = -1  # the counts the cached pair was read at (-1: none read)
        self._moves_at = -1
        self._counters: RiskState | None = None
        self._last: _Filtered | None = None
        # positions read alone (`positions`), and the file's write count they were read at
        self._positions: Mapping[str, Position] | None = None
        self._positions_at = -1
        # False: the filtered pair is built again after every step (what keeping it is
        # tested against)
        self.keep_pair = True

    def current(self, now: float) -> tuple[Portfolio, RiskState] | None:
        """What `read(now)` returns when it needs neither the file nor a new filter; else
        None (then `read`). The backtest asks at every point of a bar's path."""
        last = self._last
        if last is None or self._moved() or not last.holds_at(now):
            return None
        return last.pair

    def known_positions(self) -> Mapping[str, Position] | None:
        """The positions the file holds, when known without reading it (a pair or the
        positions alone read since its last write; the balances do not change them);
        else None (then `positions`). The backtest asks at every point of a bar's path."""
        writes = self.db.writes
        if self._cache is not None and self._writes_at == writes:
            return self._cache[0].positions
        if self._positions is not None and self._positions_at == writes:
            return self._positions
        return None

    async def positions(self) -> Mapping[str, Position]:
        known = self.known_positions()
        if known is not None:
            return known
        writes = self.db.writes
        self._positions = await self.stored.positions()
        self._positions_at = writes
        return self._positions

    def _moved(self) -> bool:
        """The file was written or the balances moved since the pair was read."""
        return self.db.writes != self._writes_at or self.accounts.moves != self._moves_at

    async def read(self, now: float) -> tuple[Portfolio, RiskState]:
        if self._moved():
            self.changed()
        last = self._last
        if last is not None and last.holds_at(now):
            return last.pair
        if self._cache is None:
            writes, moves = self.db.writes, self.accounts.moves
            self._cache = await self.stored.read(now)
            self._writes_at, self._moves_at = writes, moves
        portfolio, risk = self._cache
        cooldowns = {p: c for p, c in risk.cooldowns.items() if c.until > now}
        recent = tuple(r for r in risk.recent_trades if r.time > now - DAY_S)
        counters = risk if self._counters is None else self._counters  # the step's, once known
        risk = RiskState(  # built field by field: `dataclasses.replace` costs ten times more
            risk.trading_state,
            risk.halt_reason,
            risk.halted_at,
            counters.high_water_mark,
            counters.day_start_equity,
            counters.day,
            cooldowns,
            risk.consecutive_losses,
            recent,
        )
        last = self._last = _Filtered(
            now,
            min((c.until for c in cooldowns.values()), default=math.inf),
            min((r.time for r in recent), default=math.inf),
            (portfolio, risk),
        )
        return last.pair

    def decided(self, step: DecisionStep) -> None:
        """The step's counters replace the last read's. A step that kept the pair's risk
        state (no new day, high-water mark or halt: most steps) keeps the filtered pair: a
        read would build it again from the same rows and the same counters."""
        last = self._last
        self._counters = step.risk_state
        if last is None or step.risk_state is not last.pair[1] or not self.keep_pair:
            self._last = None

    def changed(self) -> None:
        self._cache = None
        self._writes_at = self._moves_at = -1
        self._last = None
        self._positions = None
        self._positions_at = -1


@dataclass(frozen=True, slots=True, init=False)
class _Filtered:
    """A pair filtered at `since`; it holds, unchanged, until the first cooldown ends or
    the oldest entry leaves the 24 h (the same comparisons as the filters). Made at every
    step: its `__init__` is written out (`core/values.py`)."""

    since: float
    first_cooldown_end: float
    oldest_entry: float
    pair: tuple[Portfolio, RiskState]

    def __init__(
        self,
        since: float,
        first_cooldown_end: float,
        oldest_entry: float,
        pair: tuple[Portfolio, RiskState],
    ) -> None:
        self.since = since  # type: ignore[misc]
        self.first_cooldown_end = first_cooldown_end  # type: ignore[misc]
        self.oldest_entry = oldest_entry  # type: ignore[misc]
        self.pair = pair  # type: ignore[misc]

    def holds_at(self, now: float) -> bool:
        return self.since <= now < self.first_cooldown_end and now - DAY_S < self.oldest_entry


write_once(_Filtered)
