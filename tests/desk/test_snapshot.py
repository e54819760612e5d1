"""R-1, R-3: the decision's risk inputs from SQLite — what counts as a trade for
`max_trades_per_day`, `max_trades_per_hour` and spacing."""

from __future__ import annotations

from tests.support.intents import stored_intent
from trader.core.types import TradingState
from trader.desk.snapshot import load_risk_state
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
