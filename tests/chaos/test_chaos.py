"""The chaos suite (X-1, X-4, X-5, ST-2, OPS-4), sized for CI: the real daemon in LIVE
against a standalone simulated venue with random faults, `kill -9` + restart and
kill-switch drills; then the daemon's SQLite must agree with the venue exactly.
`scripts/chaos --faults 1000` runs the same at a larger size."""

from __future__ import annotations

import pytest

from tests.support.chaos import ChaosRun, check, summary


@pytest.mark.slow
def test_x1_st2_ops4_chaos_exactly_one_order_per_intent_no_lost_fill_positions_match(tmp_path):
    run = ChaosRun(tmp_path, seed=7)
    try:
        run.run(faults=60, kill_every=15, drill_every=20, pause_s=1.2)
        audit = run.audit()
    finally:
        run.stop()
    print(summary(run, audit))
    assert check(audit) == []
    assert run.counts.kills >= 3 and run.counts.faults == 60
    assert len(audit["ledger"]) >= 8, "too little order flow to prove anything"
    assert audit["fills"], "no fill at all"
    assert run.counts.drills, "no kill-switch drill found a resting order"
    assert max(run.counts.drills) < 2.0  # OPS-4: all own orders cancelled within 2 s
