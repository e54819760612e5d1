"""A product's position row, derived from its fills (X-4) and kept current as fills arrive.

The row holds the fold of every stored fill of the product in (trade time, trade id) order
(`accounting.position_from_fills`) and the key of the last fill folded in. New fills that
all come after that key — the usual case: a fill is stored when it happens — are folded
onto the row's totals: the same Decimal operations in the same order as folding from the
first fill, without reading the product's whole history again. Anything else (a late fill
older than the key, a row written before the key was kept, fills the row has not seen)
folds every fill of the product again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from decimal import Decimal

from trader.core.types import Side
from trader.exchange.models import Fill
from trader.execution.accounting import FillRow, PositionTotals, apply_fill, position_from_fills

FillKey = tuple[float, str]  # (trade time, trade id): the order fills are folded in


def refresh_position(
    conn: sqlite3.Connection, product_id: str, now: float, fresh: Sequence[Fill] = ()
) -> PositionTotals:
    """The product's totals after its fills, written to its row (call inside a transaction
    that stored `fresh`, the product's fills new to it)."""
    extended = _extended(conn, product_id, fresh)
    if extended is None:
        totals, through = _folded_from_first(conn, product_id)
    else:
        totals, through = extended
    _write(conn, product_id, totals, through, now)
    return totals


def _extended(
    conn: sqlite3.Connection, product_id: str, fresh: Sequence[Fill]
) -> tuple[PositionTotals, FillKey] | None:
    """The row's totals with `fresh` folded on, when they all follow the row's last fill
    and the row has seen every other fill; else None."""
    if not fresh:
        return None
    ordered = sorted(fresh, key=lambda f: (f.trade_time, f.trade_id))
    stored = _stored(conn, product_id)
    before = _newest_other(conn, product_id, [f.trade_id for f in fresh])
    if stored is None:
        if before is not None:
            return None  # fills the row never saw (or no row kept a key yet)
        totals = PositionTotals()
    else:
        totals, through = stored
        if before != through or (ordered[0].trade_time, ordered[0].trade_id) <= through:
            return None
    for fill in ordered:
        totals = apply_fill(
            totals, FillRow(fill.side, fill.price, fill.size, fill.commission, fill.trade_time)
        )
    return totals, (ordered[-1].trade_time, ordered[-1].trade_id)


def _stored(conn: sqlite3.Connection, product_id: str) -> tuple[PositionTotals, FillKey] | None:
    """The row's totals and the key of its last fill; None without a row, or a row written
    before the key was kept."""
    row = conn.execute(
        "SELECT base_size, average_cost, realized_pnl, fees_paid, opened_at, realized_at_open, "
        "last_close_pnl, last_closed_at, fills_through_time, fills_through_id "
        "FROM positions WHERE product_id = ?",
        (product_id,),
    ).fetchone()
    if row is None or row[8] is None or row[9] is None:
        return None
    totals = PositionTotals(
        base_size=Decimal(row[0]),
        average_cost=Decimal(row[1]),
        realized_pnl=Decimal(row[2]),
        fees_paid=Decimal(row[3]),
        opened_at=row[4],
        realized_at_open=Decimal(row[5]),
        last_close_pnl=None if row[6] is None else Decimal(row[6]),
        last_closed_at=row[7],
    )
    return totals, (row[8], row[9])  # REAL and TEXT columns: a float and a str


def _newest_other(
    conn: sqlite3.Connection, product_id: str, fresh_ids: list[str]
) -> FillKey | None:
    """The key of the product's newest fill that is not one of `fresh_ids`."""
    marks = ",".join("?" for _ in fresh_ids)
    row = conn.execute(
        "SELECT trade_time, trade_id FROM fills WHERE product_id = ? "
        f"AND trade_id NOT IN ({marks}) ORDER BY trade_time DESC, trade_id DESC LIMIT 1",
        (product_id, *fresh_ids),
    ).fetchone()
    return None if row is None else (row[0], row[1])


def _folded_from_first(
    conn: sqlite3.Connection, product_id: str
) -> tuple[PositionTotals, FillKey | None]:
    rows = conn.execute(
        "SELECT side, price, size, commission, trade_time, trade_id FROM fills "
        "WHERE product_id = ? ORDER BY trade_time, trade_id",
        (product_id,),
    ).fetchall()
    totals = position_from_fills(
        FillRow(Side(r[0]), Decimal(r[1]), Decimal(r[2]), Decimal(r[3]), r[4]) for r in rows
    )
    return totals, (rows[-1][4], rows[-1][5]) if rows else None


def _write(
    conn: sqlite3.Connection,
    product_id: str,
    totals: PositionTotals,
    through: FillKey | None,
    now: float,
) -> None:
    conn.execute(
        "INSERT INTO positions (product_id, base_size, average_cost, realized_pnl, fees_paid, "
        "opened_at, realized_at_open, last_close_pnl, last_closed_at, fills_through_time, "
        "fills_through_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (product_id) DO UPDATE SET base_size = excluded.base_size, "
        "average_cost = excluded.average_cost, realized_pnl = excluded.realized_pnl, "
        "fees_paid = excluded.fees_paid, opened_at = excluded.opened_at, "
        "realized_at_open = excluded.realized_at_open, last_close_pnl = excluded.last_close_pnl, "
        "last_closed_at = excluded.last_closed_at, "
        "fills_through_time = excluded.fills_through_time, "
        "fills_through_id = excluded.fills_through_id, updated_at = excluded.updated_at",
        (
            product_id,
            str(totals.base_size),
            str(totals.average_cost),
            str(totals.realized_pnl),
            str(totals.fees_paid),
            totals.opened_at,
            str(totals.realized_at_open),
            None if totals.last_close_pnl is None else str(totals.last_close_pnl),
            totals.last_closed_at,
            None if through is None else through[0],
            None if through is None else through[1],
            now,
        ),
    )
