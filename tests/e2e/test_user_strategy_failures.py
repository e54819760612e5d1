"""STR-1 end to end: a user's strategy that goes wrong while a real PAPER daemon runs it.
A call that raises (SystemExit, KeyboardInterrupt or CancelledError too: the strategy's
own, not a stop) fails that cycle's strategies stage and no more — the daemon keeps
running its cycles and stops cleanly; a malformed proposal (a float size) is refused by the
risk engine as invalid and never becomes an order."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.e2e.helpers import edit_policy, query
from tests.support.daemon import DaemonDir, wait_for

BROKEN = '''
    """On alternate calls: raises {raised}, or proposes a BUY sized with a float."""
    import asyncio
    from collections.abc import Mapping
    from typing import ClassVar

    from trader.strategies import Proposal, Side, Strategy, StrategyContext, StrategyParams


    class BrokenParams(StrategyParams):
        pass


    class Broken(Strategy[BrokenParams]):
        Params = BrokenParams
        timeframes: ClassVar[Mapping[str, int]] = {"1m": 5}
        calls = 0

        def propose(self, ctx: StrategyContext) -> list[Proposal]:
            Broken.calls += 1
            if Broken.calls % 2:
                raise {raised}
            return [
                Proposal(pid, Side.BUY, self.strategy_id, 0.9, "float size", size_pct=1.5)
                for pid in sorted(ctx.market.products)[:1]
            ]
'''

RAISE_LINE = next(
    number
    for number, line in enumerate(textwrap.dedent(BROKEN).splitlines(), start=1)
    if "raise {raised}" in line
)


def _only_broken(strategies: dict) -> None:
    strategies["registry"]["rules"]["enabled"] = False
    strategies["registry"]["broken"] = {
        "class": "strategies/broken.py:Broken",
        "enabled": True,
        "max_at_risk_pct": 5,
    }


def _broken_home(tmp_path: Path, source: str) -> DaemonDir:
    """A PAPER daemon's home (3 products, 1 s cycles) whose only strategy is `source`."""
    home = DaemonDir(
        tmp_path / "work",
        {"mode": "PAPER", "sim": {"products": 3}, "cycle": {"interval_s": 1, "jitter_pct": 0}},
    )
    (home.root / "config/strategies/broken.py").write_text(textwrap.dedent(source))
    edit_policy(home, "strategies.yaml", _only_broken)
    return home


@pytest.mark.parametrize(
    ("raised", "named"),
    [
        ("SystemExit(0)", "SystemExit"),
        ("KeyboardInterrupt()", "KeyboardInterrupt"),
        ("asyncio.CancelledError()", "CancelledError"),
    ],
)
def test_str1_a_failing_strategy_fails_its_stage_and_the_daemon_goes_on(tmp_path, raised, named):
    home = _broken_home(tmp_path, BROKEN.replace("{raised}", raised))
    db = home.data / "trader-paper.db"
    daemon = home.start()
    try:
        daemon.wait_started(timeout=30)

        def failed_and_refused() -> bool:
            failed = query(db, "SELECT error FROM cycles WHERE status = 'FAILED'")
            refused = query(
                db,
                "SELECT v.reasons FROM verdicts v JOIN proposals p USING (proposal_id) "
                "WHERE p.strategy = 'broken'",
            )
            return len(failed) >= 2 and len(refused) >= 2

        wait_for(failed_and_refused, timeout=90, interval=0.3)
        errors = [row[0] for row in query(db, "SELECT error FROM cycles WHERE status = 'FAILED'")]
        assert all("strategy 'broken'" in e and named in e for e in errors), errors
        reasons = [r[0] for r in query(db, "SELECT reasons FROM verdicts")]
        assert reasons and all("invalid_proposal" in r for r in reasons), reasons
        assert query(db, "SELECT COUNT(*) FROM intents")[0][0] == 0
        ok_after = query(db, "SELECT COUNT(*) FROM cycles WHERE status = 'OK'")[0][0]
        assert ok_after >= 1  # the cycles between the failing ones went on
        assert daemon.proc.poll() is None  # what it raised did not end the daemon
        failures = [e for e in daemon.events() if e["event"] == "stage_failed"]
        assert failures and all("exception" not in e for e in failures)  # one line each
        assert all(e["line"] == f"broken.py line {RAISE_LINE}" for e in failures), failures
    finally:
        code = daemon.stop()
        home.cleanup()
    assert code == 0


def test_str1_a_strategy_changing_the_default_decimal_context_fails_its_stage_only(tmp_path):
    """A strategy that changes the decimal context every later thread copies fails its
    cycle naming what it did; the context is put back, the cycles between go on, and the
    daemon keeps running."""
    act = "__import__('decimal').DefaultContext.prec = 3"
    named = "changed decimal.DefaultContext (prec); put back"
    home = _broken_home(tmp_path, BROKEN.replace("raise {raised}", act))
    db = home.data / "trader-paper.db"
    daemon = home.start()
    try:
        daemon.wait_started(timeout=30)
        failed = "SELECT error FROM cycles WHERE status = 'FAILED'"
        wait_for(lambda: len(query(db, failed)) >= 2, timeout=90, interval=0.3)
        errors = [row[0] for row in query(db, failed)]
        assert all("strategy 'broken'" in e and named in e for e in errors), errors
        assert query(db, "SELECT COUNT(*) FROM cycles WHERE status = 'OK'")[0][0] >= 1
        assert query(db, "SELECT COUNT(*) FROM intents")[0][0] == 0
        assert daemon.proc.poll() is None
    finally:
        code = daemon.stop()
        home.cleanup()
    assert code == 0
