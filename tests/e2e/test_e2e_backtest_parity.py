"""BT-2 parity, end to end: the real daemon in PAPER over a replayed feed, then
`trader backtest` over the candles that daemon recorded, make the same decisions.

The daemon runs on the embedded venue replaying REAL Coinbase minute bars (2018, at real
speed), one cycle per minute, 5 s after the boundary (`cycle.offset_s`, when the minute
that just ended is surely closed). It records every closed candle, the touch each cycle
decided on, the product rules and the listing times (`recording`). The backtest replays
that file through the same decision core, risk engine, order manager and paper exchange
on a simulated clock, deciding at each minute boundary.

Compared, cycle by cycle: every proposal with its verdict (decision, reason codes, size)
and every intent the decisions made (entries and exits: product, side, purpose, size, limit
price). The order manager's reprices and the fills are not compared: the daemon's paper
exchange fills against the venue's trade stream, the backtest against each recorded
candle's trade path, so they may differ by what happens inside a minute; the comparison
stops at the first cycle after which either run holds a position or a cooldown from a fill.

Relaxed as in the DRY_RUN replay test so that BTC-USD proposes at once: `threshold_60m_pct`
3.0 -> 0.3, `min_conviction` 0.7 -> 0.2.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import edit_policy, query, relax_conviction, relax_price_move_for_replay
from tests.support.daemon import REPO_ROOT, DaemonDir, wait_for

CYCLES = 2
# a cycle that ran the decision core (its stages include the trading runtime's inputs)
DECIDED = "status = 'OK' AND stage_seconds LIKE '%\"inputs\"%'"


def _minute(at: float) -> int:
    return int(at) // 60 * 60


def _decisions(db: Path, through: int) -> list[tuple[Any, ...]]:
    rows = query(
        db,
        "SELECT c.started_at, p.strategy, p.product_id, p.side, v.decision, v.reasons, "
        "v.payload FROM proposals p JOIN cycles c USING (cycle_id) "
        "JOIN verdicts v USING (proposal_id) ORDER BY c.started_at, p.proposal_id",
    )
    return [
        (_minute(r[0]), r[1], r[2], r[3], r[4], json.loads(r[5]), json.loads(r[6])["base_size"])
        for r in rows
        if _minute(r[0]) <= through
    ]


def _intents(db: Path, through: int) -> list[tuple[Any, ...]]:
    rows = query(
        db,
        "SELECT created_at, product_id, side, purpose, base_size, limit_price FROM intents "
        "WHERE purpose IN ('entry', 'exit') ORDER BY created_at",
    )
    return [(_minute(r[0]), *tuple(r)[1:]) for r in rows if _minute(r[0]) <= through]


def _first_fill_minute(db: Path) -> int | None:
    row = query(db, "SELECT MIN(trade_time) FROM fills")[0]
    return None if row[0] is None else _minute(row[0])


@pytest.mark.parametrize("timeframe", ["1m", "5m"])
def test_bt2_paper_run_and_backtest_over_its_recording_make_the_same_decisions(
    tmp_path, shared_data, timeframe
):
    """At both trigger timeframes: 1 m (the minutes as they are) and 5 m (built from the
    minutes by the one resampler, live and in the backtest alike)."""
    home = DaemonDir(
        tmp_path / "daemon",
        {
            "mode": "PAPER",
            "sim": {
                "market": "coinbase-minute",
                "replay_dir": str(shared_data.resolve()),
                "speed": 1,
                "products": 4,
            },
            # 5 s in: the minute's candle is closed (2 s grace, 0.5 s timer) even on a busy
            # machine; the touch each cycle decided on is what the daemon records
            "cycle": {"interval_s": 60, "jitter_pct": 0, "offset_s": 5},
        },
    )
    edit_policy(home, "signals.yaml", relax_price_move_for_replay)
    edit_policy(home, "signals.yaml", lambda signals: signals.update(timeframe=timeframe))
    edit_policy(home, "strategies.yaml", relax_conviction)
    recording = home.data / "trader-paper.db"
    daemon = home.start()
    try:
        daemon.wait_started(timeout=30)

        def cycles_done() -> bool:
            if not recording.exists():
                return False
            done = query(recording, f"SELECT COUNT(*) FROM cycles WHERE {DECIDED}")[0][0]
            return bool(done >= CYCLES)

        wait_for(cycles_done, timeout=60 * (CYCLES + 2), interval=1.0)
        assert daemon.stop() == 0
    finally:
        home.cleanup()
    # from the first cycle that decided: the first ones may run before the trading runtime
    # has started (housekeeping only), while the backtest decides from its first minute on
    decided = f"SELECT started_at FROM cycles WHERE {DECIDED} ORDER BY started_at"
    cycles = [r[0] for r in query(recording, decided)]
    first, last = _minute(cycles[0]), _minute(cycles[-1])

    out = tmp_path / "backtest"
    result = subprocess.run(
        [sys.executable, "-m", "trader", "backtest", "--data", str(recording),
         "--from", str(first), "--to", str(last + 60), "--config", str(home.config),
         "--out", str(out), "--warmup-hours", "48"],
        cwd=home.root, env=home.env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    replayed = out / "backtest.db"

    fills = [m for m in (_first_fill_minute(recording), _first_fill_minute(replayed)) if m]
    through = min([last, *fills])  # decisions after a fill depend on the fill model
    paper_decisions, backtest_decisions = (
        _decisions(recording, through),
        _decisions(replayed, through),
    )
    assert paper_decisions, "the PAPER run made no decision to compare"
    assert backtest_decisions == paper_decisions
    paper_intents = _intents(recording, through)
    assert paper_intents, "the PAPER run placed no order to compare"
    assert _intents(replayed, through) == paper_intents

    # the backtest's own report says it ran over exactly this recording
    report = json.loads((out / "report.json").read_text())
    assert report["run"]["data"] == "daemon-candles"
    assert report["decisions"]["proposals"] >= len(paper_decisions)
    assert REPO_ROOT.exists() and sqlite3.sqlite_version
