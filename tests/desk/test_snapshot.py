"""R-1, R-2, R-3: the decision's inputs from SQLite — what counts as a trade for
`max_trades_per_day`, `max_trades_per_hour` and spacing; held positions with their exit
plans."""

from __future__ import annotations

from decimal import Decimal as D

from tests.support.intents import stored_intent
from trader.core.types import TradingState
from trader.desk.snapshot import load_positions, load_risk_state
from trader.execution import store
from trader.execution.intents import IntentState, Purpose
from trader.state.db import open_and_migrate
from trader.state.trading_state import TradingStatus

NOW = 1_800_000_000.0
STATUS = TradingStatus(TradingState.ACTIVE, None, None, None, 1, NOW)


def _entry(n, state, *, filled="0", purpose=Purpose.ENTRY, proposal=None, at=NOW - 600):
    return stored_intent(n, state, at=at, filled=filled, purpose=purpose, proposal=proposal)


def _trades(tmp_path, intents):
    conn = open_and_migrate(tmp_path / "t.db")
    try:
        for n, intent in enumerate(intents):
            conn.execute(
                "INSERT INTO cycles VALUES (?, 0, 0, 'OK', 'h', 'LIVE', NULL, NULL)", (f"c{n}",)
            )
            if intent.proposal_id:
                conn.execute(
                    "INSERT OR IGNORE INTO proposals VALUES "
                    "(?, ?, 'rules', 'BTC-USD', 'BUY', '{}', 0)",
                    (intent.proposal_id, f"c{n}"),
                )
            store.insert_intent(conn, intent)
        return load_risk_state(conn, STATUS, NOW).recent_trades
    finally:
        conn.close()


def test_r1_entries_that_ended_unfilled_are_not_trades(tmp_path):
    trades = _trades(
        tmp_path,
        [
            _entry(1, IntentState.EXPIRED),
            _entry(2, IntentState.CANCELLED),
            _entry(3, IntentState.REJECTED),
            _entry(4, IntentState.CANCELLED, filled="0.004"),  # partly filled: a trade
            _entry(5, IntentState.FILLED, filled="0.01"),
            _entry(6, IntentState.OPEN),  # still working: may fill, counts
        ],
    )
    assert len(trades) == 3


def test_r1_a_dry_run_entry_counts_as_the_trade_it_stands_for(tmp_path):
    """DRY_RUN never learns whether an entry would have filled: spacing and the trade
    limits treat it as done, or DRY_RUN would approve the same entry every cycle."""
    assert len(_trades(tmp_path, [_entry(1, IntentState.DRY), _entry(2, IntentState.DRY)])) == 2


def test_r1_an_entry_and_its_reprices_are_one_trade(tmp_path):
    chain = [
        _entry(1, IntentState.EXPIRED, proposal="p1", at=NOW - 900),
        _entry(2, IntentState.EXPIRED, purpose=Purpose.REPRICE, proposal="p1", at=NOW - 860),
        _entry(3, IntentState.FILLED, filled="0.01", purpose=Purpose.REPRICE, proposal="p1"),
    ]
    trades = _trades(tmp_path, chain)
    assert [t.time for t in trades] == [NOW - 600]  # the first part that counts


def test_r1_trades_older_than_a_day_drop_out(tmp_path):
    trades = _trades(tmp_path, [_entry(1, IntentState.FILLED, filled="0.01", at=NOW - 90_000)])
    assert trades == ()


def _held(conn, size: str, cost: str = "100") -> None:
    conn.execute(
        "INSERT INTO positions (product_id, base_size, average_cost, opened_at, updated_at) "
        "VALUES ('BTC-USD', ?, ?, ?, ?) ON CONFLICT (product_id) DO UPDATE SET "
        "base_size = excluded.base_size, average_cost = excluded.average_cost",
        (size, cost, NOW - 3600, NOW),
    )


def _planned_entry(conn, n: int, stop_pct: str, at: float) -> None:
    payload = f'{{"strategy_id": "rules", "stop_loss_pct": "{stop_pct}", "max_hold_s": 7200}}'
    conn.execute("INSERT INTO cycles VALUES (?, 0, 0, 'OK', 'h', 'LIVE', NULL, NULL)", (f"c{n}",))
    conn.execute(
        "INSERT INTO proposals VALUES (?, ?, 'rules', 'BTC-USD', 'BUY', ?, 0)",
        (f"p{n}", f"c{n}", payload),
    )
    store.insert_intent(conn, _entry(n, IntentState.FILLED, filled="0.01", proposal=f"p{n}", at=at))


def test_r2_a_position_read_again_unchanged_is_the_same_object_and_a_change_is_read(tmp_path):
    """R-2: a held position is read with its entry's exit plan; read again with nothing
    changed it is the very same (read-only) object — its levels need no new work — and a
    changed size, cost or plan is read as a new position holding the change."""
    conn = open_and_migrate(tmp_path / "t.db")
    try:
        _held(conn, "0.01")
        first = load_positions(conn)["BTC-USD"]
        assert (first.base_size, first.stop_loss_pct, first.strategy_id) == (D("0.01"), None, "")
        _planned_entry(conn, 1, "3", NOW - 3600)
        planned = load_positions(conn)["BTC-USD"]
        assert (planned.stop_loss_pct, planned.max_hold_s, planned.strategy_id) == (
            D("3"),
            7200.0,
            "rules",
        )
        assert load_positions(conn)["BTC-USD"] is planned
        _held(conn, "0.02", "101")
        grown = load_positions(conn)["BTC-USD"]
        assert (grown.base_size, grown.avg_cost, grown.stop_loss_pct) == (
            D("0.02"),
            D("101"),
            D("3"),
        )
        _held(conn, "0.02", "102")  # the cost alone
        assert load_positions(conn)["BTC-USD"].avg_cost == D("102")
        _held(conn, "0.03", "102")  # the size alone
        assert load_positions(conn)["BTC-USD"].base_size == D("0.03")
        _planned_entry(conn, 2, "2.5", NOW - 60)  # a later entry's plan is in force
        replanned = load_positions(conn)["BTC-USD"]
        assert replanned.stop_loss_pct == D("2.5") and replanned.base_size == D("0.03")
        assert load_positions(conn)["BTC-USD"] is replanned
        _held(conn, "0")
        assert load_positions(conn) == {}
    finally:
        conn.close()
