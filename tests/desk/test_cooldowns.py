"""R-3: cooldowns after a fill, after a stop-out and after N consecutive losses are
recorded from real fills in SQLite, with their expiry."""

from __future__ import annotations

from decimal import Decimal

from trader.config.policy import PolicyConfig
from trader.core.types import Side
from trader.desk.cooldowns import apply_fills
from trader.exchange.models import Fill
from trader.state import fill_rows
from trader.state.db import connect
from trader.state.schema import migrate

D = Decimal
POLICY = PolicyConfig(
    cooldown_after_fill_s=100,
    cooldown_after_stop_s=1000,
    consecutive_losses_limit=2,
    cooldown_after_losses_s=5000,
)


def _fill(trade_id, product, side, price, size, t):
    return Fill(
        trade_id,
        trade_id,
        f"o-{trade_id}",
        product,
        side,
        D(price),
        D(size),
        D("0"),
        "TAKER",
        "FILL",
        t,
        "",
    )


def _record(conn, fills, now, exit_id=None):
    """Store `fills` (their SELLs are the fills of the exit `exit_id`, when given)."""
    intents = {f.order_id: exit_id for f in fills if exit_id and f.side is Side.SELL}
    fill_rows.insert_fills(conn, fills, intents, "test", now)
    return apply_fills(conn, fills, POLICY, now)


def _stop_exit(conn, product, created_at):
    return _exit(conn, product, created_at, "stop_loss")


def _exit(conn, product, created_at, reason):
    """An exit intent placed at `created_at`; its id (its fills name it)."""
    conn.execute(
        "INSERT INTO intents (intent_id, client_order_id, mode, purpose, product_id, side, "
        "order_configuration, state, filled_size, created_at, updated_at, reason) VALUES "
        "(?, ?, 'LIVE', 'exit', ?, 'SELL', '{}', 'FILLED', '1', ?, ?, ?)",
        (
            f"i-{product}-{created_at}",
            f"c-{product}-{created_at}",
            product,
            created_at,
            created_at,
            reason,
        ),
    )
    return f"i-{product}-{created_at}"


def test_r3_entry_fill_cools_the_product_down(tmp_path):
    conn = connect(tmp_path / "t.db")
    migrate(conn)
    _record(conn, [_fill("t1", "BTC-USD", Side.BUY, "100", "1", 10.0)], now=50.0)
    rows = conn.execute("SELECT product_id, reason, until FROM cooldowns").fetchall()
    assert [tuple(r) for r in rows] == [("BTC-USD", "after_fill", 150.0)]


def test_r3_stop_out_and_consecutive_losses_pause_everything(tmp_path):
    conn = connect(tmp_path / "t.db")
    migrate(conn)
    _record(conn, [_fill("a1", "ETH-USD", Side.BUY, "100", "1", 10.0)], now=10.0)
    stop = _stop_exit(conn, "ETH-USD", 19.0)
    _record(conn, [_fill("a2", "ETH-USD", Side.SELL, "90", "1", 20.0)], now=20.0, exit_id=stop)
    reasons = dict(conn.execute("SELECT reason, until FROM cooldowns WHERE product_id = 'ETH-USD'"))
    assert reasons["after_stop"] == 1020.0
    assert conn.execute("SELECT consecutive_losses FROM risk_state").fetchone()[0] == 1
    _record(conn, [_fill("b1", "SOL-USD", Side.BUY, "10", "1", 30.0)], now=30.0)
    _record(conn, [_fill("b2", "SOL-USD", Side.SELL, "9", "1", 40.0)], now=40.0)
    everything = conn.execute(
        "SELECT reason, until FROM cooldowns WHERE product_id = '*'"
    ).fetchone()
    assert everything is not None and everything[1] == 5040.0
    # the pause starts and the counter restarts from 0 (its documented reset rule) ...
    assert conn.execute("SELECT consecutive_losses FROM risk_state").fetchone()[0] == 0
    _record(conn, [_fill("b2", "SOL-USD", Side.SELL, "9", "1", 40.0)], now=41.0)
    # ... and a fill reported again is not a new loss
    assert conn.execute("SELECT consecutive_losses FROM risk_state").fetchone()[0] == 0


def test_r3_a_winning_round_trip_resets_the_loss_counter(tmp_path):
    conn = connect(tmp_path / "t.db")
    migrate(conn)
    _record(conn, [_fill("c1", "BTC-USD", Side.BUY, "100", "1", 1.0)], now=1.0)
    _record(conn, [_fill("c2", "BTC-USD", Side.SELL, "90", "1", 2.0)], now=2.0)
    assert conn.execute("SELECT consecutive_losses FROM risk_state").fetchone()[0] == 1
    _record(conn, [_fill("c3", "BTC-USD", Side.BUY, "100", "1", 3.0)], now=3.0)
    _record(conn, [_fill("c4", "BTC-USD", Side.SELL, "120", "1", 4.0)], now=4.0)
    assert conn.execute("SELECT consecutive_losses FROM risk_state").fetchone()[0] == 0


def _after_stop_until(conn, product):
    row = conn.execute(
        "SELECT until FROM cooldowns WHERE product_id = ? AND reason = 'after_stop'", (product,)
    ).fetchone()
    return None if row is None else row[0]


def _round_trip(conn, tag, reason, placed_at, sold_at, price):
    """ETH-USD bought 100 s before `sold_at`, sold at `price` by an exit (`reason`) placed
    at `placed_at` on the daemon's clock and filled at `sold_at` on the venue's."""
    bought = sold_at - 100
    _record(conn, [_fill(f"{tag}1", "ETH-USD", Side.BUY, "100", "1", bought)], now=bought)
    closing = _exit(conn, "ETH-USD", placed_at, reason)
    sold = [_fill(f"{tag}2", "ETH-USD", Side.SELL, price, "1", sold_at)]
    _record(conn, sold, now=max(placed_at, sold_at), exit_id=closing)


def test_r3_only_a_round_trip_closed_by_a_stop_cools_down_after_stop(tmp_path):
    """The exit that closed the round trip decides: a take-profit or max-hold close after
    an earlier stop-out is no stop-out (the earlier stop's cooldown is not renewed), and
    a stop that closes a later round trip is one again."""
    conn = connect(tmp_path / "t.db")
    migrate(conn)
    _round_trip(conn, "a", "stop_loss", 19.0, 20.0, "90")
    assert _after_stop_until(conn, "ETH-USD") == 1020.0
    for n, (reason, close) in enumerate((("take_profit", 2100.0), ("max_hold", 4100.0))):
        _round_trip(conn, f"b{n}", reason, close - 1, close, "110")
        assert _after_stop_until(conn, "ETH-USD") == 1020.0, reason
    _round_trip(conn, "d", "trailing_stop", 6090.0, 6100.0, "95")
    assert _after_stop_until(conn, "ETH-USD") == 7100.0


def test_r3_the_closing_fills_exit_decides_whatever_the_clocks(tmp_path):
    """The venue stamps a fill on its own clock, which may be behind the daemon's: a
    take-profit filled "before" it was placed is still the take-profit that closed the
    round trip (not the stop-loss placed before it), and a stop-loss filled "before" it
    was placed, after an earlier take-profit, is a stop-out."""
    conn = connect(tmp_path / "t.db")
    migrate(conn)
    _round_trip(conn, "a", "stop_loss", 19.0, 20.0, "90")
    assert _after_stop_until(conn, "ETH-USD") == 1020.0
    _round_trip(conn, "b", "take_profit", 3100.0, 3099.6, "110")  # filled 0.4 s "earlier"
    assert _after_stop_until(conn, "ETH-USD") == 1020.0  # no stop-out: not renewed
    _round_trip(conn, "c", "stop_loss", 5100.0, 5099.9, "90")
    assert _after_stop_until(conn, "ETH-USD") == 6100.0
