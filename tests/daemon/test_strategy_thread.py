"""STR-1, OPS-3, OPS-4: a user's strategy that blocks or computes without end, run by a real
DRY_RUN daemon. The strategies are called off the event loop: the kill switch still halts
within a second, the metrics still answer, SIGTERM still stops with 0 in time; the stage
fails with one line naming the strategy once it overruns its limit, and every later cycle's
strategies stage fails at once while the call goes on."""

from __future__ import annotations

import textwrap
import time

import pytest

from tests.e2e.helpers import edit_policy, query
from tests.support.daemon import DaemonDir, wait_for

STUCK = """
    import threading
    import time
    from pathlib import Path

    from trader.strategies import Proposal, Strategy, StrategyContext, StrategyParams


    class StuckParams(StrategyParams):
        pass


    class Stuck(Strategy[StuckParams]):
        Params = StuckParams

        def propose(self, ctx: StrategyContext) -> list[Proposal]:
            Path("called").touch()  # for the test only: a strategy does no I/O
            {block}
            return []
"""
BLOCKS = {
    "spins": "while True:\n                pass",
    "sleeps": "time.sleep(3600)",
    "waits": "threading.Event().wait()",
}


def _only_stuck(strategies: dict) -> None:
    strategies["registry"]["rules"]["enabled"] = False
    strategies["registry"]["stuck"] = {
        "class": "strategies/stuck.py:Stuck",
        "enabled": True,
        "max_at_risk_pct": 5,
    }


def _failed_cycles(home: DaemonDir) -> list[str]:
    rows = query(home.data / "trader.db", "SELECT error FROM cycles WHERE status = 'FAILED'")
    return [row[0] for row in rows]


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_str1_ops4_a_blocking_strategy_freezes_neither_kill_switch_nor_stop(
    tmp_path, block: str
) -> None:
    home = DaemonDir(tmp_path / "work")
    (home.root / "config/strategies/stuck.py").write_text(
        textwrap.dedent(STUCK).replace("{block}", BLOCKS[block])
    )
    edit_policy(home, "strategies.yaml", _only_stuck)
    daemon = home.start()
    try:
        daemon.wait_started(timeout=30)
        wait_for((home.root / "called").exists, timeout=30)
        time.sleep(0.5)  # the call is under way
        home.kill_switch.touch()
        touched = time.monotonic()
        wait_for(lambda: daemon.status()["state"] == "HALTED", timeout=2, interval=0.05)
        assert time.monotonic() - touched < 2
        overran = "stuck' (strategies/stuck.py) failed at "

        def overrun_then_refused() -> bool:
            errors = _failed_cycles(home)
            return any(overran in e and "did not return within 10 s" in e for e in errors) and any(
                "still running the call of" in e for e in errors
            )

        wait_for(overrun_then_refused, timeout=30, interval=0.3)
        assert daemon.proc.poll() is None
        lines = [e for e in daemon.events() if e["event"] == "stage_failed"]
        assert lines and all("exception" not in e for e in lines)  # one line, no traceback
        assert all(e["stage"] == "strategies" for e in lines), lines
        asked = time.monotonic()
        code = daemon.stop()
        assert time.monotonic() - asked < 10
    finally:
        home.cleanup()
    assert code == 0
