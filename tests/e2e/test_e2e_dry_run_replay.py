"""S-1, STR-1, R-1, OPS-2, OPS-6, CFG-1 end to end: the real daemon in DRY_RUN on the
embedded venue replaying REAL recorded Coinbase minute bars (2018).

The replay (`coinbase-minute`, see `trader/sim/market/recorded_sources.py`) lists BTC-USD,
ETH-USD, LTC-USD (and BTC-EUR, not in the USD universe). Only BTC-USD has the real daily
history the universe's 30-day listing-age filter needs and the core tier's 24 h volume, so
it is the one product admitted; ETH-USD is excluded for volume, LTC-USD for listing age.
At the replay start BTC-USD has moved +0.68 % over the last hour of real data; the one
threshold lowered is `price_move.threshold_60m_pct` (3.0 -> 0.3), and `min_conviction`
(0.7 -> 0.2) so that any selected trigger proposes whichever minute the daemon starts in.
Everything else — universe, risk policy, sizing — is the shipped configuration.
"""

from __future__ import annotations

import json

from tests.e2e.helpers import (
    edit_policy,
    metric,
    query,
    relax_conviction,
    relax_price_move_for_replay,
    sim_get,
    started_event,
    venue_root,
)
from tests.support.daemon import DaemonDir, wait_for
from trader.core.decision import RejectReason

REASON_CODES = {r.value for r in RejectReason}


def test_s1_str1_r1_ops2_dry_run_replay_records_joined_decisions_and_sends_nothing(
    tmp_path, shared_data
):
    home = DaemonDir(
        tmp_path,
        {
            "mode": "DRY_RUN",
            "sim": {
                "market": "coinbase-minute",
                "replay_dir": str(shared_data.resolve()),
                "speed": 60,
                "products": 4,
            },
            "cycle": {"interval_s": 1, "jitter_pct": 0},
        },
    )
    edit_policy(home, "signals.yaml", relax_price_move_for_replay)
    edit_policy(home, "strategies.yaml", relax_conviction)
    db = home.data / "trader.db"
    daemon = home.start()
    try:
        daemon.wait_started(timeout=30)
        wait_for(lambda: "trading" in daemon.status(), timeout=45, interval=0.1)
        venue = venue_root(daemon)

        def decided() -> bool:
            approved = query(
                db,
                "SELECT COUNT(*) FROM intents i JOIN verdicts v USING (proposal_id) "
                "WHERE v.decision IN ('APPROVE', 'RESIZE')",
            )[0][0]
            rejected = query(db, "SELECT COUNT(*) FROM verdicts WHERE decision = 'REJECT'")[0][0]
            return approved >= 1 and rejected >= 1

        # one approved entry, then the same trigger in the next cycles meets the spacing rule
        wait_for(decided, timeout=30, interval=0.2)
        # cycles are 1 s apart; a quick start may have decided by its second
        wait_for(lambda: query(db, "SELECT COUNT(*) FROM cycles")[0][0] >= 3, timeout=15)
        text = daemon.metrics()
        ledger = sim_get(venue, "ledger")
        venue_fills = sim_get(venue, "fills")
        config_hash = started_event(daemon)["config_hash"]
        assert daemon.status()["config_hash"] == config_hash
        assert daemon.stop() == 0
    finally:
        home.cleanup()

    errors = [e for e in daemon.events() if e.get("level") in ("error", "critical")]
    assert errors == []

    # OPS-2: DRY_RUN never calls an order endpoint
    assert ledger["orders"] == [], ledger
    assert venue_fills["fills"] == []

    # CFG-1: every cycle carries the effective config hash, and the mode
    cycles = query(db, "SELECT cycle_id, config_hash, mode, status FROM cycles")
    assert len(cycles) >= 3
    assert {c["config_hash"] for c in cycles} == {config_hash}
    assert {c["mode"] for c in cycles} == {"DRY_RUN"}
    assert {c["status"] for c in cycles} <= {"OK"}, [tuple(c) for c in cycles]

    # U-1: only BTC-USD passes on the real data; the others are excluded with a reason
    universe = query(db, "SELECT payload FROM audit_events WHERE kind = 'universe'")
    excluded = {
        e["product_id"]: e["reason"] for row in universe for e in json.loads(row[0])["excluded"]
    }
    assert excluded == {"ETH-USD": "low_volume", "LTC-USD": "listing_age"}

    # OPS-6, R-1: proposal -> verdict (reason codes) -> intent, joinable by ids
    proposals = query(
        db,
        "SELECT p.proposal_id, p.cycle_id, p.strategy, p.product_id, p.side, p.payload, "
        "v.decision, v.reasons, v.payload AS verdict FROM proposals p "
        "LEFT JOIN verdicts v USING (proposal_id) ORDER BY p.created_at",
    )
    assert proposals
    for p in proposals:
        assert p["decision"] in ("APPROVE", "RESIZE", "REJECT"), tuple(p)  # every one judged
        assert (p["strategy"], p["product_id"], p["side"]) == ("rules", "BTC-USD", "BUY")
        assert json.loads(p["payload"])["reason"].startswith("entry (core): ")
        reasons = json.loads(p["reasons"])
        assert set(reasons) <= REASON_CODES
        if p["decision"] == "REJECT":
            assert reasons, tuple(p)
    assert any("price_move_60m=" in json.loads(p["payload"])["reason"] for p in proposals)
    rejected = [p for p in proposals if p["decision"] == "REJECT"]
    assert {r for p in rejected for r in json.loads(p["reasons"])} == {"spacing"}

    intents = query(
        db,
        "SELECT i.*, p.cycle_id AS proposal_cycle, v.decision FROM intents i "
        "JOIN proposals p USING (proposal_id) JOIN verdicts v USING (proposal_id)",
    )
    all_intents = query(db, "SELECT COUNT(*) FROM intents")[0][0]
    assert len(intents) == all_intents >= 1  # every intent joins its proposal and verdict
    for intent in intents:
        assert intent["decision"] in ("APPROVE", "RESIZE")
        assert intent["mode"] == "DRY_RUN" and intent["state"] == "DRY"
        assert intent["purpose"] == "entry" and intent["side"] == "BUY"
        assert intent["product_id"] == "BTC-USD"
        assert intent["cycle_id"] == intent["proposal_cycle"]
        assert intent["exchange_order_id"] is None and intent["submitted_at"] is None
        verdict = json.loads(
            query(
                db, "SELECT payload FROM verdicts WHERE proposal_id = ?", (intent["proposal_id"],)
            )[0][0]
        )
        assert verdict["base_size"] == intent["base_size"]
    assert query(db, "SELECT COUNT(*) FROM orders")[0][0] == 0
    assert query(db, "SELECT COUNT(*) FROM fills")[0][0] == 0

    # OPS-5: the decision counters (read before the last rows were written: never more)
    triggers = metric(text, "trader_triggers_total")
    proposed = metric(text, "trader_proposals_total", strategy="rules")
    rejections = metric(text, "trader_risk_rejections_total", reason="spacing")
    assert triggers >= 1
    assert 1 <= proposed <= len(proposals)
    assert 1 <= rejections <= len(rejected)
    assert metric(text, "trader_risk_rejections_total") == rejections
