"""OPS-5: the status document from SQLite — equity and positions at the last step's marks,
the newest decisions with their reason codes, the universe's current exclusions, ISO times."""

from __future__ import annotations

from decimal import Decimal

import orjson

from trader.daemon.status import state_document
from trader.state.db import open_and_migrate, transaction

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def _universe(conn, cycle_id, excluded=(), readmitted=()):
    payload = {
        "excluded": [{"product_id": p, "reason": r, "detail": d} for p, r, d in excluded],
        "readmitted": list(readmitted),
    }
    conn.execute(
        "INSERT INTO audit_events (at, kind, actor, cycle_id, payload) "
        "VALUES (?, 'universe', 'daemon', ?, ?)",
        (T0, cycle_id, orjson.dumps(payload).decode()),
    )


def _decision(conn, n, product, decision, reasons):
    pid = f"c{n}/0"
    conn.execute(
        "INSERT INTO proposals VALUES (?, ?, 'momentum', ?, 'BUY', '{}', ?)",
        (pid, f"c{n}", product, T0 + n),
    )
    conn.execute(
        "INSERT INTO verdicts VALUES (?, ?, ?, ?, ?)",
        (pid, decision, orjson.dumps(reasons).decode(), '{"notional": "25.00"}', T0 + n),
    )


def _document(tmp_path, fill):
    conn = open_and_migrate(tmp_path / "s.db")
    try:
        with transaction(conn):
            fill(conn)
        return state_document(conn)
    finally:
        conn.close()


def test_ops5_positions_valued_at_the_last_marks_with_unrealized_pnl(tmp_path):
    def fill(conn):
        conn.execute(
            "INSERT INTO positions (product_id, base_size, average_cost, realized_pnl, "
            "fees_paid, opened_at, updated_at) VALUES "
            "('BTC-USD', '0.5', '100', '-1.25', '0.3', ?, ?), "
            "('ETH-USD', '2', '10', '0', '0', ?, ?)",
            (T0, T0, T0, T0),
        )
        valuation = {
            "at": T0 + 60,
            "quote_currency": "USD",
            "balances_known": True,
            "quote_cash": "900.5",
            "equity": "975.5",
            "marks": {"BTC-USD": "110.2"},  # no mark for ETH-USD: valued at nothing, said so
        }
        conn.execute(
            "INSERT INTO meta VALUES ('valuation', ?)", (orjson.dumps(valuation).decode(),)
        )

    doc = _document(tmp_path, fill)
    assert (doc["equity"], doc["quote_cash"], doc["valued_at"]) == (
        "975.5",
        "900.5",
        "2027-01-15T08:01:00Z",
    )
    btc, eth = doc["positions"]
    assert (btc["mark"], btc["value"], btc["unrealized_pnl"]) == ("110.2", "55.10", "5.10")
    assert btc["opened_at"] == "2027-01-15T08:00:00Z"
    assert (eth["mark"], eth["unrealized_pnl"]) == (None, None)
    assert Decimal(doc["unrealized_pnl"]) == Decimal("5.10")
    assert Decimal(doc["realized_pnl"]) == Decimal("-1.25")


def test_ops5_nothing_valued_yet_is_said_not_zero(tmp_path):
    doc = _document(tmp_path, lambda conn: None)
    assert doc["equity"] is None and doc["valued_at"] is None
    assert doc["positions"] == [] and doc["last_decisions"] == [] and doc["exclusions"] == {}
    assert doc["last_cycle"] is None


def test_ops5_last_decisions_newest_first_with_reason_codes(tmp_path):
    def fill(conn):
        for n in range(1, 14):
            conn.execute(
                "INSERT INTO cycles (cycle_id, started_at, status, config_hash, mode) "
                "VALUES (?, ?, 'OK', 'h', 'DRY_RUN')",
                (f"c{n}", T0 + n),
            )
            rejected = n % 2 == 0
            reasons = ["exposure_cap", "cooldown"] if rejected else []
            _decision(conn, n, f"P{n}-USD", "REJECT" if rejected else "APPROVE", reasons)

    doc = _document(tmp_path, fill)
    decisions = doc["last_decisions"]
    assert [d["product_id"] for d in decisions] == [f"P{n}-USD" for n in range(13, 3, -1)]
    assert decisions[1]["decision"] == "REJECT"
    assert decisions[1]["reasons"] == ["exposure_cap", "cooldown"]
    assert decisions[0]["notional"] == "25.00" and decisions[0]["at"] == "2027-01-15T08:00:13Z"
    assert doc["last_cycle"]["cycle_id"] == "c13"
    assert doc["last_cycle"]["started_at"] == "2027-01-15T08:00:13Z"


def test_ops5_exclusions_are_the_latest_runs_changes_folded(tmp_path):
    def fill(conn):
        # an earlier run excluded a product the latest run never excluded
        _universe(conn, "20270115T080000Z-1-aaaaaa", [("OLD-USD", "stale_data", "1 h")])
        _universe(
            conn,
            "20270115T090000Z-1-bbbbbb",
            [("DOGE-USD", "low_volume", "2.1M < 5M"), ("ADA-USD", "wide_spread", "80 bps")],
        )
        _universe(conn, "20270115T090500Z-6-bbbbbb", [("ADA-USD", "stale_data", "20 min")])
        _universe(conn, "20270115T091000Z-11-bbbbbb", readmitted=["DOGE-USD"])

    exclusions = _document(tmp_path, fill)["exclusions"]
    assert exclusions == {"ADA-USD": {"reason": "stale_data", "detail": "20 min"}}
