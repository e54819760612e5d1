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


def _intent(conn, intent_id, product, side, purpose, strategy, proposal_id=None, filled="0"):
    conn.execute(
        "INSERT INTO intents (intent_id, client_order_id, proposal_id, mode, purpose, "
        "product_id, side, order_configuration, state, filled_size, created_at, updated_at, "
        "strategy) VALUES (?, ?, ?, 'PAPER', ?, ?, ?, '{}', 'FILLED', ?, ?, ?, ?)",
        (intent_id, f"c-{intent_id}", proposal_id, purpose, product, side, filled, T0, T0,
         strategy),
    )  # fmt: skip


def _fill(conn, trade_id, intent_id, product, side, price, size, fee, at):
    conn.execute(
        "INSERT INTO fills VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'MAKER', ?, 'ws', ?)",
        (trade_id, f"o-{intent_id}", intent_id, product, side, price, size, fee, at, at),
    )


def test_str5_status_breaks_results_down_by_strategy(tmp_path):
    """STR-5: proposals, approvals, fills, volume, fees and realized PnL (average cost, fees
    in) per strategy, the positions each holds, and an operator's sale unattributed."""

    def fill(conn):
        for n in (1, 2):
            conn.execute(
                "INSERT INTO cycles (cycle_id, started_at, status, config_hash, mode) "
                "VALUES (?, ?, 'OK', 'h', 'PAPER')",
                (f"c{n}", T0 + n),
            )
        _decision(conn, 1, "BTC-USD", "APPROVE", [])  # strategy 'momentum'
        _decision(conn, 2, "ETH-USD", "REJECT", ["cooldown"])
        plan = orjson.dumps({"strategy_id": "momentum"}).decode()
        conn.execute("UPDATE proposals SET payload = ? WHERE proposal_id = 'c1/0'", (plan,))
        _intent(conn, "e1", "BTC-USD", "BUY", "entry", "momentum", "c1/0", filled="2")
        _intent(conn, "x1", "BTC-USD", "SELL", "exit", "momentum")
        _intent(conn, "k1", "BTC-USD", "SELL", "flatten", None)
        _fill(conn, "t1", "e1", "BTC-USD", "BUY", "100", "2", "0.2", T0 + 1)
        _fill(conn, "t2", "x1", "BTC-USD", "SELL", "110", "1", "0.1", T0 + 2)
        _fill(conn, "t3", "k1", "BTC-USD", "SELL", "90", "0.5", "0.05", T0 + 3)
        conn.execute(
            "INSERT INTO positions (product_id, base_size, average_cost, realized_pnl, "
            "fees_paid, opened_at, updated_at) VALUES ('BTC-USD', '0.5', '100.1', '0', '0', ?, ?)",
            (T0, T0),
        )

    doc = _document(tmp_path, fill)
    momentum, operator = doc["strategies"]["momentum"], doc["strategies"]["(none)"]
    assert (momentum["proposals"], momentum["approved"], momentum["fills"]) == (2, 1, 2)
    # cost 200.2 for 2; sold 1 @ 110 less 0.1 fee: 110 - 0.1 - 100.1
    assert Decimal(momentum["realized_pnl"]) == Decimal("9.8")
    assert Decimal(momentum["fees"]) == Decimal("0.3")
    assert momentum["positions"] == ["BTC-USD"]
    assert Decimal(operator["realized_pnl"]) == Decimal("45") - Decimal("0.05") - Decimal("50.05")
    assert doc["positions"][0]["strategy"] == "momentum"
