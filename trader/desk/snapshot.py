"""Decision inputs from live data and the state database (U-1, R-1, R-3).

The market snapshot comes from the market-data service (quotes, closed candles, honest
data age); positions, their exit plans, open orders, cooldowns and recent entries come
from SQLite; trading state from the state keeper. Missing data stays missing (None): the
decision core fails closed on it.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from decimal import Decimal
from typing import Final, Protocol

import orjson

from trader.core.market import MarketSnapshot, ProductMarket
from trader.core.portfolio import OpenOrder, Portfolio, Position
from trader.core.risk_state import Cooldown, RiskState, TradeStamp
from trader.core.types import ProductRules, Quote, Side
from trader.marketdata.candles import CandleStore
from trader.pipeline.decide import DecisionCore
from trader.state.portfolio import (
    active_cooldowns,
    entries_traded_since,
    entry_plans,
    held_positions,
    risk_counters,
    working_orders,
)
from trader.state.trading_state import TradingStatus

DAY_S: Final = 86400.0


class MarketFeed(Protocol):
    """What the snapshot reads: the market-data service live, the recorded bars in a
    backtest."""

    @property
    def candles(self) -> CandleStore: ...

    def quote(self, product_id: str) -> Quote | None: ...

    def data_age(self, product_id: str, now: float | None = None) -> float: ...


def build_market(
    rules: Mapping[str, ProductRules],
    md: MarketFeed,
    core: DecisionCore,
    listed_at: Mapping[str, float],
    now: float,
    *,
    advance: bool,
) -> MarketSnapshot:
    """`advance` applies the closed candles to the triggers first (the cycle does; the exit
    watcher between cycles does not touch trigger state)."""
    if advance:
        core.triggers.advance(now)
    products: dict[str, ProductMarket] = {}
    candles = md.candles
    for pid, product_rules in rules.items():
        age = md.data_age(pid, now)
        products[pid] = ProductMarket(
            rules=product_rules,
            quote=md.quote(pid),
            quote_volume_24h=candles.quote_volume_24h(pid),
            listed_at=listed_at.get(pid),
            data_time=None if age == math.inf else now - age,
            sigma=core.triggers.sigma(pid),
            last_close=core.triggers.last_close(pid),
            last_candle=core.triggers.last_candle(pid),
        )
    return MarketSnapshot(products)


def _optional_decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# the Position each stored row and plan text was read as: a position read again unchanged
# (every daemon cycle; every read of a backtest's state after a write elsewhere) is the
# same object, not parsed again — and its exit levels, known by that object, need not be
# worked out again (`backtest/runner.py`). Values are read-only, so sharing them is safe.
_READ: Final[dict[tuple[object, ...], Position]] = {}
READ_LIMIT: Final = 4096


def load_positions(conn: sqlite3.Connection) -> dict[str, Position]:
    plans: dict[str, str] = {row[0]: row[1] for row in entry_plans(conn)}
    positions: dict[str, Position] = {}
    for row in held_positions(conn):
        pid = row[0]
        plan = plans.get(pid)
        key = (pid, row[1], row[2], row[3], plan)
        position = _READ.get(key)
        if position is None:
            position = _position(pid, row[1], row[2], row[3], plan)
            if len(_READ) >= READ_LIMIT:
                _READ.clear()
            _READ[key] = position
        positions[pid] = position
    return positions


def _position(
    pid: str, base_size: str, avg_cost: str, opened_at: float | None, plan_text: str | None
) -> Position:
    """A held row with the exit plan of the entry that last added to it (its proposal's
    payload; none: no plan)."""
    plan: dict[str, object] = {} if plan_text is None else orjson.loads(plan_text)
    max_hold = plan.get("max_hold_s")
    return Position(
        product_id=pid,
        base_size=Decimal(base_size),
        avg_cost=Decimal(avg_cost),
        entry_time=float(opened_at or 0.0),
        strategy_id=str(plan.get("strategy_id", "")),
        stop_loss_pct=_optional_decimal(plan.get("stop_loss_pct")),
        take_profit_pct=_optional_decimal(plan.get("take_profit_pct")),
        max_hold_s=None if max_hold is None else float(str(max_hold)),
    )


def load_open_orders(conn: sqlite3.Connection) -> list[OpenOrder]:
    """Working orders at worst case: the unfilled remainder at the limit (R-1)."""
    orders = []
    for row in working_orders(conn):
        base = Decimal(row[3]) - Decimal(row[4]) if row[3] is not None else Decimal(0)
        orders.append(
            OpenOrder(
                order_id=row[0],
                product_id=row[1],
                side=Side(row[2]),
                base_size=base,
                limit_price=_optional_decimal(row[5]),
                quote_size=_optional_decimal(row[6]),
            )
        )
    return orders


def load_portfolio(
    conn: sqlite3.Connection,
    cash: Mapping[str, Decimal],
    quote_currency: str,
    balances_known: bool = True,
) -> Portfolio:
    return Portfolio(
        quote_currency=quote_currency,
        cash=dict(cash),
        positions=load_positions(conn),
        open_orders=load_open_orders(conn),
        balances_known=balances_known,
    )


def load_risk_state(conn: sqlite3.Connection, status: TradingStatus, now: float) -> RiskState:
    row = risk_counters(conn)
    cooldowns: dict[str, Cooldown] = {}
    for pid, until, reason in active_cooldowns(conn, now):
        cooldowns[pid] = Cooldown(until=until, reason=reason)
    trades = tuple(
        TradeStamp(time=at, product_id=pid) for at, pid in entries_traded_since(conn, now - DAY_S)
    )
    return RiskState(
        trading_state=status.state,
        halt_reason=status.halt_reason,
        halted_at=status.halted_at,
        high_water_mark=_optional_decimal(row[0]),
        day_start_equity=_optional_decimal(row[1]),
        day=row[2],
        cooldowns=cooldowns,
        consecutive_losses=int(row[3]),
        recent_trades=trades,
    )
