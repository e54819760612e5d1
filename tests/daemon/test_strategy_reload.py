"""OPS-3, STR-2: a user's strategy file changed under a running DRY_RUN daemon, then
SIGHUP. Each kind of broken file (one that fails to import, is gone, has a constructor
that raises or a `propose` of the wrong shape) is refused as one `config_reload_rejected`
line naming `strategies.yaml` and the key; the old configuration stays whole and its
cycles go on; a good file is adopted. So is one that never finishes loading (it spins or
sleeps at import, its constructor waits for ever, the first time or only when the daemon
builds it), after `load_limit_s`, the event loop live meanwhile. A strategy that raises on
every call makes `/readyz` 503 naming it (OPS-5) until a fixed file is adopted and a cycle
ends OK."""

from __future__ import annotations

import signal
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from tests.config.test_load_limit import NEVER_LOADS, TEMPLATE, never_loading
from tests.e2e.helpers import edit_policy, query
from tests.support.daemon import DaemonDir, DaemonProcess, wait_for
from trader.daemon.cycle import FAILED_CYCLES_NOT_READY

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


def _start_with_mine(tmp_path: Path, source: str) -> tuple[DaemonDir, Path, DaemonProcess]:
    """A started daemon trading only the user's strategy `mine`, its file holding `source`."""
    home = DaemonDir(tmp_path / "work")
    mine = home.root / "config/strategies/mine.py"
    _write(mine, source)
    edit_policy(home, "strategies.yaml", _only_mine)
    daemon = home.start()
    try:
        daemon.wait_started(timeout=30)
    except BaseException:
        home.cleanup()
        raise
    return home, mine, daemon


def ok_cycles(home: DaemonDir) -> int:
    return _cycles(home, "OK")


def _cycles(home: DaemonDir, status: str) -> int:
    sql = "SELECT COUNT(*) FROM cycles WHERE status = ?"
    return int(query(home.data / "trader.db", sql, (status,))[0][0])


def _cycles_failing(daemon: DaemonProcess) -> list[str]:
    """What `/readyz` says about failing cycles."""
    problems = orjson.loads(daemon.get("/readyz")[1])["problems"]
    return [p for p in problems if p.startswith("cycles failing")]


def _rejections(daemon: DaemonProcess) -> list[dict]:
    return [e for e in daemon.events() if e["event"] == "config_reload_rejected"]


def test_ops3_str2_a_broken_strategy_file_on_sighup_is_refused_and_the_old_one_runs(tmp_path):
    home, mine, daemon = _start_with_mine(tmp_path, MINE)
    try:
        running = daemon.status()["config_hash"]
        for count, (kind, (source, text)) in enumerate(sorted(BROKEN.items()), start=1):
            _write(mine, source)
            daemon.signal(signal.SIGHUP)
            rejected = f'trader_config_reloads_total{{result="rejected"}} {count}.0'
            wait_for(lambda r=rejected: r in daemon.metrics(), timeout=10)
            # the counter moves before the log line reaches the output: wait for the line
            wait_for(lambda c=count: len(_rejections(daemon)) >= c, timeout=5)
            lines = _rejections(daemon)
            assert len(lines) == count and "exception" not in lines[-1], (kind, lines)
            (issue,) = lines[-1]["issues"]
            assert "strategies.yaml: registry.mine.class: " in issue and text in issue, kind
            assert daemon.status()["config_hash"] == running, kind
            before = ok_cycles(home)
            wait_for(lambda b=before: ok_cycles(home) > b, timeout=10)  # the old one runs
        _write(mine, MINE.replace("return []", "return list()"))
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: daemon.status()["config_hash"] != running, timeout=10)
        assert not any("Task exception" in str(e.get("event")) for e in daemon.events())
        code = daemon.stop()
    finally:
        home.cleanup()
    assert code == 0


ALWAYS_RAISES = MINE.replace("return []", "raise ValueError('no data for me')")
RAISES_EVERY_OTHER_CALL = MINE.replace(
    "return []",
    "type(self).calls = getattr(type(self), 'calls', 0) + 1\n"
    "            if type(self).calls % 2:\n"
    "                raise ValueError('now and then')\n"
    "            return []",
)


def test_ops5_readyz_names_a_strategy_failing_every_cycle_until_a_fixed_one_runs(tmp_path):
    """Every cycle failing: 503 naming the stage and the strategy once
    `FAILED_CYCLES_NOT_READY` have failed in a row. After a SIGHUP adopts a file that fails
    only now and then, the first OK cycle clears it and the occasional failure does not
    bring it back."""
    home, mine, daemon = _start_with_mine(tmp_path, ALWAYS_RAISES)
    try:
        (problem,) = wait_for(lambda: _cycles_failing(daemon), timeout=60, interval=0.2)
        assert daemon.get("/readyz")[0] == 503
        assert problem.endswith(" in a row, the last in strategies (strategy 'mine')"), problem
        assert _cycles(home, "FAILED") >= FAILED_CYCLES_NOT_READY
        ok_before = ok_cycles(home)
        _write(mine, RAISES_EVERY_OTHER_CALL)
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: ok_cycles(home) > ok_before, timeout=30, interval=0.2)
        assert _cycles_failing(daemon) == []
        failed = _cycles(home, "FAILED")

        def failing_now_and_then() -> bool:
            assert _cycles_failing(daemon) == []
            return _cycles(home, "FAILED") >= failed + 3

        wait_for(failing_now_and_then, timeout=30, interval=0.2)
        code = daemon.stop()
    finally:
        home.cleanup()
    assert code == 0


BLOCKS_AT_SECOND_BUILD = (  # the build at load returns; the daemon's own build never does
    textwrap.dedent(TEMPLATE)
    .replace("{at_import}", "builds = 0")
    .replace(
        "{in_constructor}",
        "global builds\n        builds += 1\n        if builds > 1:\n"
        "            threading.Event().wait()",
    )
)
LIMIT_S = 3


def _limited(strategies: dict) -> None:
    strategies["load_limit_s"] = LIMIT_S


def live_while_rejecting(daemon: DaemonProcess, count: int) -> float:
    """Seconds until the `count`th rejected reload, `/metrics` and `/status` read every
    0.2 s meanwhile: each answers within a second."""
    began = time.monotonic()
    rejected = f'trader_config_reloads_total{{result="rejected"}} {count}.0'
    while True:
        asked = time.monotonic()
        seen, status = daemon.metrics(), daemon.status()
        assert time.monotonic() - asked < 1 and status["config_hash"], "the event loop stalled"
        if rejected in seen:
            return time.monotonic() - began
        assert time.monotonic() - began < LIMIT_S + 20, "no rejection"
        time.sleep(0.2)


def refused_while_live(
    home: DaemonDir, daemon: DaemonProcess, count: int, file: str, running: str
) -> None:
    """SIGHUP to a daemon whose `file` now never builds: the `count`th reload is refused
    after the limit, naming the file, the loop live meanwhile; the old configuration runs."""
    daemon.signal(signal.SIGHUP)
    assert live_while_rejecting(daemon, count) >= LIMIT_S - 0.5, file
    wait_for(lambda: len(_rejections(daemon)) >= count, timeout=5)  # the line after the counter
    lines = _rejections(daemon)
    assert len(lines) == count and "exception" not in lines[-1], lines
    (issue,) = lines[-1]["issues"]
    assert file in issue and f"did not finish loading within {LIMIT_S} s" in issue, issue
    assert daemon.status()["config_hash"] == running
    ready, body = daemon.get("/readyz")  # its thread goes on: the operator is told to restart
    left = [p for p in orjson.loads(body)["problems"] if "left running past its load" in p]
    assert ready == 503 and left, body
    before = ok_cycles(home)
    wait_for(lambda: ok_cycles(home) > before, timeout=10)  # the old one runs


def halted_during_a_reload(daemon: DaemonProcess, engage: Callable[[], None]) -> int:
    """SIGHUP to a daemon whose file now never builds, then the kill switch (`engage`),
    heard during the wait: HALTED; then SIGTERM, and the daemon's exit code."""
    daemon.signal(signal.SIGHUP)
    engage()
    wait_for(lambda: "kill_switch_engaged" in daemon.output(), timeout=LIMIT_S - 1)
    assert daemon.status()["state"] == "HALTED"
    daemon.signal(signal.SIGTERM)
    return daemon.wait(timeout=LIMIT_S + 15)


def test_ops3_str2_a_strategy_that_never_loads_on_sighup_is_refused_the_loop_live(tmp_path):
    home, mine, daemon = _start_with_mine(tmp_path, MINE)
    try:
        wait_for(lambda: '"trading_started"' in daemon.output(), timeout=30)
        running = daemon.status()["config_hash"]
        edit_policy(home, "strategies.yaml", _limited)
        sources = {kind: never_loading(kind) for kind in NEVER_LOADS}
        sources["blocks_at_second_build"] = BLOCKS_AT_SECOND_BUILD
        for count, (_kind, source) in enumerate(sorted(sources.items()), start=1):
            _write(mine, source)
            refused_while_live(home, daemon, count, "strategies/mine.py", running)
        _write(mine, never_loading("spins_at_import"))
        code = halted_during_a_reload(daemon, lambda: daemon.signal(signal.SIGUSR1))
    finally:
        home.cleanup()
    assert code == 0, daemon.output()[-3000:]
    assert "Traceback" not in daemon.output()
