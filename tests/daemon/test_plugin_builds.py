"""OPS-3, OPS-4, STR-2: the daemon builds the user's universe filters as it builds its
strategies — off the event loop, each within its limit (`universe.yaml: load_limit_s`).

A filter file changed under a running daemon to one that never finishes building (its
constructor spins or waits on input, its parameter model spins, or only the daemon's own
build blocks), then SIGHUP: the reload is refused whole after the limit, naming the
file, the old configuration kept and its cycles going on; meanwhile `/metrics` and
`/status` answer and the kill switch file halts the daemon.

A start whose own build of a strategy or filter fails (here: overruns, its thread left
running) is no venue outage to retry — the same code would overrun again, leaving one
more thread each time: the daemon stops at once, exit 2, one line naming the file."""

from __future__ import annotations

from typing import Any

import pytest

from tests.config.test_filter_load_limit import (
    BLOCKS_AT_SECOND_BUILD,
    NEVER_BUILDS,
    SOUND,
    filter_source,
    with_slow,
)
from tests.config.test_load_limit import with_mine
from tests.daemon.test_strategy_reload import BLOCKS_AT_SECOND_BUILD as STRATEGY_BLOCKS
from tests.daemon.test_strategy_reload import (
    LIMIT_S,
    halted_during_a_reload,
    refused_while_live,
)
from tests.support.daemon import DaemonDir, wait_for
from trader.commands.exit_codes import EXIT_CONFIG

KINDS = {**NEVER_BUILDS, "blocks_at_second_build": BLOCKS_AT_SECOND_BUILD}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ops3_str2_a_filter_that_never_builds_on_sighup_is_refused_the_loop_live(tmp_path, kind):
    """One daemon per kind: a thread that overran is left running for good, and every one
    left shares the interpreter with the event loop (README: the load limit)."""
    home = DaemonDir(tmp_path / "work")
    slow = with_slow(home, filter_source(SOUND), limit_s=LIMIT_S)
    daemon = home.start()
    try:
        daemon.wait_started(timeout=30)
        wait_for(lambda: '"trading_started"' in daemon.output(), timeout=30)
        running = daemon.status()["config_hash"]
        slow.write_text(filter_source(KINDS[kind]))
        refused_while_live(home, daemon, 1, "filters/slow.py", running)
        slow.write_text(filter_source(NEVER_BUILDS["spins_in_constructor"]))
        code = halted_during_a_reload(daemon, home.kill_switch.touch)
    finally:
        home.cleanup()
    assert code == 0, daemon.output()[-3000:]
    assert "Traceback" not in daemon.output()


def _strategy_blocking(home: DaemonDir) -> str:
    with_mine(home, STRATEGY_BLOCKS, limit_s=1)
    return "config error: strategy 'mine' (strategies/mine.py) failed at start: "


def _filter_blocking(home: DaemonDir) -> str:
    with_slow(home, filter_source(BLOCKS_AT_SECOND_BUILD), limit_s=1)
    return "config error: universe filter 'slow' (filters/slow.py) failed to build: "


BLOCKING = {"strategy": _strategy_blocking, "filter": _filter_blocking}


@pytest.mark.parametrize("plugin", sorted(BLOCKING))
def test_ops3_str2_a_start_whose_build_overruns_stops_with_exit_2(tmp_path, plugin):
    home = DaemonDir(tmp_path / "work")
    line = BLOCKING[plugin](home)
    daemon = home.start()
    try:
        code = daemon.wait(timeout=30)
    finally:
        home.cleanup()
    output = daemon.output()
    assert code == EXIT_CONFIG, output[-3000:]
    assert "Traceback" not in output
    (said,) = [text for text in output.splitlines() if text.startswith("config error: ")]
    assert said.startswith(line) and "did not finish loading within 1 s" in said, said
    events: list[dict[str, Any]] = daemon.events()
    names = [e["event"] for e in events]
    assert names.count("trading_start_refused") == 1 and "trading_start_failed" not in names
    assert events[-1]["event"] == "daemon_stopped" and events[-1]["exit_code"] == EXIT_CONFIG
