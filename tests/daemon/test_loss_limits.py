"""R-4 in the daemon: a loss limit moves trading to REDUCING — no new entries — and the
positions it holds keep their stop-loss: the exits still run. The real daemon in LIVE
against a standalone simulated venue; the loss is a price shock at the venue."""

from __future__ import annotations

import sqlite3
import time

from tests.support.chaos import ChaosRun
from tests.support.daemon import wait_for
from tests.support.venue import merge_yaml

EXITS = {"stop_loss_pct": 2, "take_profit_pct": 50, "max_hold_minutes": 600}


def _position_count(run: ChaosRun) -> int:
    with sqlite3.connect(run.home.data / "trader.db", timeout=10) as conn:
        row = conn.execute("SELECT COUNT(*) FROM positions WHERE base_size != '0'").fetchone()
        return int(row[0])


def test_r4_loss_limit_reduces_and_the_stop_losses_still_sell(tmp_path):
    run = ChaosRun(tmp_path, seed=51)
    config = run.home.root / "config"
    merge_yaml(config / "policy.yaml", {"daily_loss_limit_pct": -0.01})
    merge_yaml(
        config / "strategies.yaml",
        {
            "rules": {
                "default_exits": EXITS,
                "exits_by_trigger": {
                    k: EXITS
                    for k in (
                        "price_move_15m",
                        "price_move_60m",
                        "volume_spike",
                        "breakout",
                        "momentum",
                    )
                },
            }
        },
    )
    try:
        daemon = run.start_daemon()
        wait_for(lambda: _position_count(run) >= 1, timeout=90, interval=0.2)
        run.venue.call("POST", "/shock", {"pct": "-6"})  # every position falls through its stop
        status = wait_for(
            lambda: (s := daemon.status())["state"] != "ACTIVE" and s, timeout=30, interval=0.1
        )
        assert status["state"] == "REDUCING" and status["halt_reason"] == "daily_loss"
        assert "vs limit" in status["halt_detail"]
        reduced_at = time.time()
        wait_for(lambda: _position_count(run) == 0, timeout=60, interval=0.2)
        with sqlite3.connect(run.home.data / "trader.db") as conn:
            exits = conn.execute(
                "SELECT COUNT(*) FROM intents WHERE side = 'SELL' AND reason = 'stop_loss'"
            ).fetchone()[0]
            entries_after = conn.execute(
                "SELECT COUNT(*) FROM intents WHERE side = 'BUY' AND state != 'CANCELLED' "
                "AND created_at > ?",
                (reduced_at + 1,),
            ).fetchone()[0]
        assert exits >= 1 and entries_after == 0
        assert 'trader_reductions_total{reason="daily_loss"} 1.0' in daemon.metrics()
        assert daemon.status()["state"] == "REDUCING"  # until the operator resumes
        assert daemon.stop() == 0
    finally:
        run.stop()
