"""X-4: a product's position row is always the fold of all its stored fills in (trade
time, trade id) order — whether new fills are folded onto the row (they follow its last
fill) or every fill is folded again (a late fill, a row from before the key was kept) —
down to the last Decimal digit."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from trader.core.types import Side
from trader.exchange.models import Fill
from trader.execution.accounting import FillRow, position_from_fills
from trader.state import fill_rows
from trader.state.db import open_and_migrate

PRODUCTS = ("BTC-USD", "ETH-USD")
FULL_READ = "ORDER BY trade_time, trade_id"  # every fill of the product, in folding order
COLUMNS = (
    "base_size, average_cost, realized_pnl, fees_paid, opened_at, realized_at_open, "
    "last_close_pnl, last_closed_at"
)


@pytest.fixture
def conn(tmp_path):
    conn = open_and_migrate(tmp_path / "s.db")
    yield conn
    conn.close()


def _fills(seed: int, count: int) -> list[Fill]:
    """Buys and sells (some beyond the held size) at a few shared times, in time order."""
    rng = random.Random(seed)
    made, held, time = [], dict.fromkeys(PRODUCTS, Decimal(0)), 1_700_000_000.0
    for n in range(count):
        time += rng.choice((0.0, 0.5, 60.0))  # ties are ordered by trade id
        product = rng.choice(PRODUCTS)
        side = Side.SELL if held[product] > 0 and rng.random() < 0.4 else Side.BUY
        size = Decimal(rng.randint(1, 9000)) / 1000
        if side is Side.SELL and rng.random() < 0.5:
            size = held[product] + (Decimal("0.001") if rng.random() < 0.2 else 0)
        held[product] = max(held[product] + (size if side is Side.BUY else -size), Decimal(0))
        price = Decimal(rng.randint(100_00, 200_00)) / 100
        fee = (price * size * Decimal("0.004")).quantize(Decimal("0.00000001"))
        trade_id = f"t{rng.randint(0, 10**6):07d}-{n}"
        made.append(
            Fill("e", trade_id, f"o{n}", product, side, price, size, fee, "MAKER", "FILL", time, "")
        )
    return sorted(made, key=lambda f: (f.trade_time, f.trade_id))


def _row(conn, product_id: str) -> tuple[str, ...]:
    row = conn.execute(f"SELECT {COLUMNS} FROM positions WHERE product_id = ?", (product_id,))
    return tuple(str(v) for v in row.fetchone())


def _folded(conn, product_id: str) -> tuple[str, ...]:
    rows = conn.execute(
        f"SELECT side, price, size, commission, trade_time FROM fills WHERE product_id = ? "
        f"{FULL_READ}",
        (product_id,),
    ).fetchall()
    t = position_from_fills(
        FillRow(Side(r[0]), Decimal(r[1]), Decimal(r[2]), Decimal(r[3]), r[4]) for r in rows
    )
    values = (
        t.base_size, t.average_cost, t.realized_pnl, t.fees_paid, t.opened_at,
        t.realized_at_open, t.last_close_pnl, t.last_closed_at,
    )  # fmt: skip
    return tuple(str(v) for v in values)


def _store(conn, batch: list[Fill]) -> list[str]:
    """Store a batch as the tracker does; the SQL it ran."""
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    fill_rows.insert_fills(conn, batch, {}, "rest", 1.0)
    conn.set_trace_callback(None)
    return ran


def _batches(fills: list[Fill], rng: random.Random) -> list[list[Fill]]:
    batches, at = [], 0
    while at < len(fills):
        size = rng.randint(1, 4)
        batches.append(fills[at : at + size])
        at += size
    return batches


@pytest.mark.parametrize("seed", range(8))
def test_x4_fills_in_time_order_are_folded_onto_the_row_without_reading_history(conn, seed):
    fills = _fills(seed, 60)
    for batch in _batches(fills, random.Random(seed)):
        ran = _store(conn, batch)
        assert not any(FULL_READ in sql for sql in ran), ran
        for product in {f.product_id for f in batch}:
            assert _row(conn, product) == _folded(conn, product)


@pytest.mark.parametrize("seed", range(8))
def test_x4_a_late_fill_folds_every_fill_again(conn, seed):
    rng = random.Random(seed)
    fills = _fills(seed, 40)
    late = [fills.pop(rng.randrange(1, len(fills) - 5)) for _ in range(3)]
    for batch in _batches(fills, rng):
        _store(conn, batch)
    for fill in late:
        ran = _store(conn, [fill])
        assert any(FULL_READ in sql for sql in ran)
        for product in PRODUCTS:
            if conn.execute("SELECT 1 FROM fills WHERE product_id = ?", (product,)).fetchone():
                assert _row(conn, product) == _folded(conn, product)


def test_x4_a_row_without_its_last_fill_key_is_folded_again_then_kept(conn):
    fills = _fills(3, 20)
    _store(conn, fills[:10])
    conn.execute("UPDATE positions SET fills_through_time = NULL, fills_through_id = NULL")
    conn.execute("UPDATE positions SET realized_at_open = '0'")  # as an old release left it
    assert any(FULL_READ in sql for sql in _store(conn, fills[10:15]))
    assert not any(FULL_READ in sql for sql in _store(conn, fills[15:]))
    for product in PRODUCTS:
        assert _row(conn, product) == _folded(conn, product)


def test_x4_a_fill_stored_twice_changes_nothing(conn):
    fills = _fills(5, 12)
    _store(conn, fills)
    before = {p: _row(conn, p) for p in PRODUCTS}
    _store(conn, fills[4:8])
    assert {p: _row(conn, p) for p in PRODUCTS} == before
