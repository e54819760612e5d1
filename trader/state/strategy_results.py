"""Results by strategy (STR-5), from the state file: what each strategy proposed and got
approved, its fills, traded volume, fees and realized PnL.

Attribution: a proposal names its strategy; an intent carries the strategy it acts for
(an entry: its proposal's; an exit: the strategy of the position it closes; the operator's
and the kill switch's orders: none, shown as `UNATTRIBUTED`); a fill belongs to its
intent's strategy. Realized PnL is computed per product at average cost, fees included,
and booked to the strategy of the selling fill — Decimal throughout.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

UNATTRIBUTED = "(none)"
ZERO = Decimal(0)


@dataclass(slots=True)
class StrategyResult:
    proposals: int = 0
    approved: int = 0
    fills: int = 0
    volume: Decimal = ZERO
    fees: Decimal = ZERO
    realized_pnl: Decimal = ZERO


@dataclass(slots=True)
class _Book:
    held: Decimal = ZERO
    cost: Decimal = ZERO  # quote spent on what is held, fees included


@dataclass(frozen=True, slots=True)
class FillRow:
    product_id: str
    side: str
    price: Decimal
    size: Decimal
    fee: Decimal
    strategy: str


@dataclass
class _Results:
    by_strategy: dict[str, StrategyResult] = field(default_factory=dict)

    def of(self, strategy: str) -> StrategyResult:
        return self.by_strategy.setdefault(strategy, StrategyResult())


def strategy_results(conn: sqlite3.Connection) -> dict[str, StrategyResult]:
    """Every strategy's results, by strategy id (sorted): its decisions and its fills."""
    results = _Results()
    for strategy, approved, count in conn.execute(
        "SELECT p.strategy, v.decision IN ('APPROVE', 'RESIZE'), COUNT(*) FROM proposals p "
        "LEFT JOIN verdicts v USING (proposal_id) GROUP BY 1, 2"
    ):
        result = results.of(strategy)
        result.proposals += count
        result.approved += count if approved else 0
    _book_fills(results, fill_rows(conn))
    return dict(sorted(results.by_strategy.items()))


def fill_results(conn: sqlite3.Connection) -> dict[str, StrategyResult]:
    """Fills, volume, fees and realized PnL by strategy (no decision counts), from the
    state file."""
    return results_of_fills(fill_rows(conn))


def results_of_fills(fills: Iterable[FillRow]) -> dict[str, StrategyResult]:
    """Fills, volume, fees and realized PnL by strategy from fills in trade order."""
    results = _Results()
    _book_fills(results, fills)
    return dict(sorted(results.by_strategy.items()))


def holdings_after(fills: Iterable[FillRow]) -> dict[str, tuple[Decimal, Decimal]]:
    """Product → (base held, its cost with fees) after the fills, at average cost: the
    same booking the realized PnL comes from; products no longer held are left out."""
    books = _book_fills(_Results(), fills)
    return {pid: (b.held, b.cost) for pid, b in sorted(books.items()) if b.held > 0}


def fill_rows(conn: sqlite3.Connection) -> list[FillRow]:
    rows = conn.execute(
        "SELECT f.product_id, f.side, f.price, f.size, f.commission, i.strategy FROM fills f "
        "LEFT JOIN intents i USING (intent_id) ORDER BY f.trade_time, f.trade_id"
    ).fetchall()
    return [
        FillRow(r[0], r[1], Decimal(r[2]), Decimal(r[3]), Decimal(r[4]), r[5] or UNATTRIBUTED)
        for r in rows
    ]


def _book_fills(results: _Results, fills: Iterable[FillRow]) -> dict[str, _Book]:
    books: dict[str, _Book] = {}
    for fill in fills:
        result = results.of(fill.strategy)
        notional = fill.price * fill.size
        result.fills += 1
        result.volume += notional
        result.fees += fill.fee
        book = books.setdefault(fill.product_id, _Book())
        if fill.side == "BUY":
            book.held += fill.size
            book.cost += notional + fill.fee
            continue
        sold = min(fill.size, book.held)
        basis = book.cost * sold / book.held if book.held > 0 else ZERO
        result.realized_pnl += notional - fill.fee - basis
        book.cost -= basis
        book.held -= sold
    return books
