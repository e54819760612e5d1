"""STR-2: a user's strategy that never finishes loading — its file spins or sleeps at
import, its constructor waits on something that never comes — fails the load within
`strategies.yaml: load_limit_s` instead of holding up the command for ever: real
`check-config`, `run` and `backtest` processes exit 2 with one line naming the file and
the limit, and the thread left running does not keep the process alive."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import edit_policy
from tests.support.daemon import DaemonDir
from trader.commands.exit_codes import EXIT_CONFIG

TEMPLATE = """
    import threading
    import time

    from trader.strategies import Proposal, Strategy, StrategyContext, StrategyParams

    {at_import}

    class MineParams(StrategyParams):
        pass


    class Mine(Strategy[MineParams]):
        Params = MineParams

        def __init__(self, *args):
            super().__init__(*args)
            {in_constructor}

        def propose(self, ctx: StrategyContext) -> list[Proposal]:
            return []
"""
NEVER_LOADS = {  # kind: (at import, in the constructor)
    "spins_at_import": ("while True:\n        pass", "pass"),
    "sleeps_long_at_import": ("time.sleep(10**6)", "pass"),
    "waits_in_constructor": ("", "threading.Event().wait()"),
}
COMMANDS = {
    "check-config": (),
    "run": (),
    "backtest": ("--data", "nowhere", "--from", "2021-01-01", "--to", "2021-01-02"),
}


def never_loading(kind: str) -> str:
    """The source of a strategy file `mine.py` that blocks the way `kind` says."""
    at_import, in_constructor = NEVER_LOADS[kind]
    source = textwrap.dedent(TEMPLATE).replace("{in_constructor}", in_constructor)
    return source.replace("{at_import}", textwrap.dedent(at_import))


def with_mine(home: DaemonDir, source: str, limit_s: float | None) -> Path:
    """`home` trading only the user's strategy `mine` (its file holding `source`), its
    loading limited to `limit_s` (None: the default); the file's path."""
    mine = home.root / "config/strategies/mine.py"
    mine.write_text(source)

    def only_mine(strategies: dict) -> None:
        strategies["registry"]["rules"]["enabled"] = False
        strategies["registry"]["mine"] = {"class": "strategies/mine.py:Mine", "enabled": True}
        if limit_s is not None:
            strategies["load_limit_s"] = limit_s

    edit_policy(home, "strategies.yaml", only_mine)
    return mine


def _refused(done, took: float, limit_s: float) -> None:
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    line, *_ = done.stderr.splitlines()
    assert "strategies.yaml: registry.mine.class: strategies/mine.py:Mine: " in line, line
    assert f"did not finish loading within {limit_s:g} s" in line, line
    assert limit_s <= took < limit_s + 20, took


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", sorted(NEVER_LOADS))
def test_str2_a_strategy_that_never_loads_is_refused_within_its_limit(tmp_path, kind, command):
    home = DaemonDir(tmp_path / "work")
    with_mine(home, never_loading(kind), limit_s=1)
    began = time.monotonic()
    done = home.cli(command, *COMMANDS[command], timeout=60)
    _refused(done, time.monotonic() - began, 1)
    assert not home.data.exists() or not list(home.data.glob("*.db")), "nothing created"


def test_str2_the_default_limit_is_ten_seconds(tmp_path):
    home = DaemonDir(tmp_path / "work")
    with_mine(home, never_loading("sleeps_long_at_import"), limit_s=None)
    began = time.monotonic()
    done = home.cli("check-config", timeout=60)
    _refused(done, time.monotonic() - began, 10)


def test_str2_the_limit_is_a_checked_setting(tmp_path):
    home = DaemonDir(tmp_path / "work")
    with_mine(home, never_loading("spins_at_import").replace("while True", "while False"), 0)
    done = home.cli("check-config")
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert "strategies.yaml: load_limit_s: " in done.stderr, done.stderr


LATER_BUILD_COMMANDS = {
    "backtest": ("backtest", "--out", "out", "--products", "BTC-USD"),
    "check-strategy": ("check-strategy", "mine", "--products", "BTC-USD", "--cuts", "1"),
}


@pytest.mark.parametrize("command", sorted(LATER_BUILD_COMMANDS))
def test_str2_a_strategy_that_blocks_only_at_a_later_build_is_refused_within_its_limit(
    tmp_path, shared_data, command
):
    """The load's build returns; the one the command makes for its run never does."""
    from tests.daemon.test_strategy_reload import BLOCKS_AT_SECOND_BUILD

    home = DaemonDir(tmp_path / "work")
    with_mine(home, BLOCKS_AT_SECOND_BUILD, limit_s=1)
    data = str(shared_data / "binance-5m-24pairs-2021")
    window = ("--data", data, "--from", "2021-01-01", "--to", "2021-01-03")
    began = time.monotonic()
    done = home.cli(*LATER_BUILD_COMMANDS[command], *window, timeout=90)
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "strategies/mine.py" in done.stderr and "within 1 s" in done.stderr, done.stderr
    assert time.monotonic() - began < 60
