"""OPS-3, STR-2: a user's strategy file changed under a running DRY_RUN daemon, then
SIGHUP. Each kind of broken file (one that fails to import, is gone, has a constructor
that raises or a `propose` of the wrong shape) is refused as one `config_reload_rejected`
line naming `strategies.yaml` and the key; the old configuration stays whole and its
cycles go on; a good file is adopted."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

from tests.e2e.helpers import edit_policy, query
from tests.support.daemon import DaemonDir, wait_for

MINE = """
    from trader.strategies import Proposal, Strategy, StrategyContext, StrategyParams


    class MineParams(StrategyParams):
        pass


    class Mine(Strategy[MineParams]):
        Params = MineParams

        def propose(self, ctx: StrategyContext) -> list[Proposal]:
            return []
"""
BROKEN = {  # kind: (what the file becomes, text in the rejection)
    "syntax": (MINE + "\ndef (:\n", "SyntaxError"),
    "constructor_raises": (
        MINE.replace(
            "        def propose",
            "        def __init__(self, *args):\n            raise RuntimeError('no')\n\n"
            "        def propose",
        ),
        "building it failed: RuntimeError: no",
    ),
    "propose_without_ctx": (
        MINE.replace("propose(self, ctx: StrategyContext)", "propose(self)"),
        "propose must take (self, ctx)",
    ),
    "deleted": (None, "no such file"),
}


def _only_mine(strategies: dict) -> None:
    strategies["registry"]["rules"]["enabled"] = False
    strategies["registry"]["mine"] = {
        "class": "strategies/mine.py:Mine",
        "enabled": True,
        "max_at_risk_pct": 5,
    }


def _write(file: Path, source: str | None) -> None:
    if source is None:
        file.unlink()
    else:
        file.write_text(textwrap.dedent(source))


def _ok_cycles(home: DaemonDir) -> int:
    return int(
        query(home.data / "trader.db", "SELECT COUNT(*) FROM cycles WHERE status = 'OK'")[0][0]
    )


def test_ops3_str2_a_broken_strategy_file_on_sighup_is_refused_and_the_old_one_runs(tmp_path):
    home = DaemonDir(tmp_path / "work")
    mine = home.root / "config/strategies/mine.py"
    _write(mine, MINE)
    edit_policy(home, "strategies.yaml", _only_mine)
    daemon = home.start()
    try:
        daemon.wait_started(timeout=30)
        running = daemon.status()["config_hash"]
        for count, (kind, (source, text)) in enumerate(sorted(BROKEN.items()), start=1):
            _write(mine, source)
            daemon.signal(signal.SIGHUP)
            rejected = f'trader_config_reloads_total{{result="rejected"}} {count}.0'
            wait_for(lambda r=rejected: r in daemon.metrics(), timeout=10)
            lines = [e for e in daemon.events() if e["event"] == "config_reload_rejected"]
            assert len(lines) == count and "exception" not in lines[-1], (kind, lines)
            (issue,) = lines[-1]["issues"]
            assert "strategies.yaml: registry.mine.class: " in issue and text in issue, kind
            assert daemon.status()["config_hash"] == running, kind
            before = _ok_cycles(home)
            wait_for(lambda b=before: _ok_cycles(home) > b, timeout=10)  # the old one runs
        _write(mine, MINE.replace("return []", "return list()"))
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: daemon.status()["config_hash"] != running, timeout=10)
        assert not any("Task exception" in str(e.get("event")) for e in daemon.events())
        code = daemon.stop()
    finally:
        home.cleanup()
    assert code == 0
