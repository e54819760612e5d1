"""STR-2: a user's universe filter that never finishes loading — its constructor spins,
sleeps or waits on input that never comes, its parameter model spins — fails the load
within `universe.yaml: load_limit_s` instead of holding up the command for ever: real
`check-config`, `run` and `backtest` processes exit 2 with one line naming
`universe.yaml`, the filter's file and the limit. The limit is a checked setting."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.config.test_load_limit import COMMANDS
from tests.e2e.helpers import edit_policy
from tests.support.daemon import DaemonDir
from trader.cli import main
from trader.commands.exit_codes import EXIT_CONFIG
from trader.config.loader import load_config

FILTER_TEMPLATE = """
    import os
    import threading
    import time

    from pydantic import field_validator

    from trader.universe import FilterParams, UniverseFilter

    builds = 0


    class SlowParams(FilterParams):
        level: int = 0

        @field_validator("level")
        @classmethod
        def _level(cls, value):
            {in_validator}
            return value


    class Slow(UniverseFilter[SlowParams]):
        Params = SlowParams

        def __init__(self, *args):
            super().__init__(*args)
            {in_constructor}

        def check(self, market, now):
            return None
"""
NEVER_BUILDS = {  # kind: (in the parameter model's validator, in the constructor)
    "spins_in_constructor": ("pass", "while True:\n                pass"),
    "sleeps_in_constructor": ("pass", "time.sleep(10**6)"),
    "waits_on_input_in_constructor": ("pass", "os.read(os.pipe()[0], 1)"),
    "spins_in_its_parameters": ("while True:\n                pass", "pass"),
}
BLOCKS_AT_SECOND_BUILD = (  # the build at load returns; the daemon's own build never does
    "pass",
    "global builds\n            builds += 1\n            if builds > 1:\n"
    "                threading.Event().wait()",
)
SOUND = ("pass", "pass")


def filter_source(blocks: tuple[str, str]) -> str:
    """The source of a filter file `filters/slow.py`, `blocks` the code run in its
    parameter model and in its constructor."""
    in_validator, in_constructor = blocks
    source = FILTER_TEMPLATE.replace("{in_validator}", in_validator)
    return textwrap.dedent(source.replace("{in_constructor}", in_constructor))


def with_slow(home: DaemonDir, source: str, limit_s: Any) -> Path:
    """`home` with the user's universe filter `slow` (its file holding `source`), its
    loading limited to `limit_s` (None: the default); the file's path."""
    slow = home.root / "config/filters/slow.py"
    slow.parent.mkdir(parents=True, exist_ok=True)
    slow.write_text(source)

    def add_slow(universe: dict[str, Any]) -> None:
        entry = {"id": "slow", "class": "filters/slow.py:Slow", "params": {"level": 1}}
        universe["filters"] = [entry]
        if limit_s is not None:
            universe["load_limit_s"] = limit_s

    edit_policy(home, "universe.yaml", add_slow)
    return slow


def _refused(done, took: float, limit_s: float) -> None:
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    line, *_ = done.stderr.splitlines()
    assert "universe.yaml: filters[0].class: filters/slow.py:Slow: " in line, line
    assert f"did not finish loading within {limit_s:g} s" in line, line
    assert limit_s <= took < limit_s + 15, took


CASES = [("check-config", kind) for kind in sorted(NEVER_BUILDS)]
CASES += [("run", kind) for kind in sorted(NEVER_BUILDS)]
CASES += [("backtest", "spins_in_constructor")]


@pytest.mark.parametrize(("command", "kind"), CASES)
def test_str2_a_filter_that_never_builds_is_refused_within_its_limit(tmp_path, command, kind):
    home = DaemonDir(tmp_path / "work")
    with_slow(home, filter_source(NEVER_BUILDS[kind]), limit_s=1)
    began = time.monotonic()
    done = home.cli(command, *COMMANDS[command], timeout=30)
    _refused(done, time.monotonic() - began, 1)
    assert not home.data.exists() or not list(home.data.glob("*.db")), "nothing created"


def test_str2_a_filter_whose_constructor_raises_is_refused_at_check_config(tmp_path):
    home = DaemonDir(tmp_path / "work")
    with_slow(home, filter_source(("pass", "raise RuntimeError('no')")), limit_s=None)
    done = home.cli("check-config")
    assert done.returncode == EXIT_CONFIG, done.stderr
    line, *_ = done.stderr.splitlines()
    assert "universe.yaml: filters[0].class: filters/slow.py:Slow: " in line, line
    assert "building it failed: RuntimeError: no" in line, line


def test_str2_the_filter_limit_defaults_to_ten_seconds(tmp_path):
    home = DaemonDir(tmp_path / "work")
    with_slow(home, filter_source(SOUND), limit_s=None)
    edit_policy(home, "universe.yaml", lambda universe: universe.pop("load_limit_s", None))
    assert load_config(home.config).universe.load_limit_s == 10


BAD_LIMITS: list[tuple[Any, str]] = [  # the value in universe.yaml, the reason given
    (0, "greater than 0"),
    (-1, "greater than 0"),
    (600.5, "less than or equal to 600"),
    ("soon", "not text"),
    (True, "not true or false"),
    (None, "valid number"),
    (float("nan"), "finite number"),
]


@pytest.mark.parametrize(("value", "reason"), BAD_LIMITS)
def test_str2_the_filter_limit_is_a_checked_setting(tmp_path, capsys, value, reason):
    home = DaemonDir(tmp_path / "work")
    with_slow(home, filter_source(SOUND), limit_s=None)
    edit_policy(home, "universe.yaml", lambda universe: universe.update(load_limit_s=value))
    assert main(["check-config", "--config", str(home.config)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if "universe.yaml: load_limit_s: " in line]
    assert reason in line and "Traceback" not in err, err
    assert not home.data.exists()
