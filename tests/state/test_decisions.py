"""OPS-6, U-1: the decision audit rows — a proposal, its verdict and the universe's
exclusion changes — joinable by ids."""

from __future__ import annotations

from trader.state.db import open_and_migrate
from trader.state.decisions import (
    ProposalRow,
    VerdictRow,
    insert_proposal,
    insert_universe_change,
    insert_verdict,
)
from trader.state.status_queries import decision_rows, latest_run_universe_payloads

NOW = 1_800_000_000.0


def test_ops6_a_proposal_and_its_verdict_join_by_proposal_id(tmp_path):
    conn = open_and_migrate(tmp_path / "s.db")
    try:
        conn.execute("INSERT INTO cycles VALUES ('c1-ab', 0, 0, 'OK', 'h', 'LIVE', NULL, NULL)")
        insert_proposal(conn, ProposalRow("c1-ab/0", "c1-ab", "rules", "BTC-USD", "BUY", "{}", NOW))
        insert_verdict(conn, VerdictRow("c1-ab/0", "REJECT", '["spread"]', "{}", NOW))
        (row,) = decision_rows(conn, 10)
        assert (row["proposal_id"], row["strategy"], row["decision"], row["reasons"]) == (
            "c1-ab/0",
            "rules",
            "REJECT",
            '["spread"]',
        )
    finally:
        conn.close()


def test_u1_universe_changes_of_the_latest_run_are_read_in_order(tmp_path):
    conn = open_and_migrate(tmp_path / "s.db")
    try:
        assert latest_run_universe_payloads(conn) == []
        insert_universe_change(conn, "t1-1-old", '{"run": "old"}', NOW)
        insert_universe_change(conn, "t2-1-new", '{"n": 1}', NOW + 1)
        insert_universe_change(conn, "t2-2-new", '{"n": 2}', NOW + 2)
        assert latest_run_universe_payloads(conn) == ['{"n": 1}', '{"n": 2}']
    finally:
        conn.close()
