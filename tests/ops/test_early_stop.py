"""OPS-3: a stop signal heard while `trader run` starts is noted, not acted on mid-step;
a second one ends the process at once (code 1). Real signals, in a real interpreter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.support.daemon import REPO_ROOT

PROBE = """
import os, signal, time
from trader.ops.early_stop import EarlyStop
early = EarlyStop.install()
for sig in {signals}:
    os.kill(os.getpid(), sig)  # delivered, and its handler run, before the next line
print(early.signal.name if early.signal else None, flush=True)
"""


def _probe(*signals: signal.Signals) -> subprocess.CompletedProcess[str]:
    code = PROBE.format(signals=[int(s) for s in signals])
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=env
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ops3_a_first_stop_signal_is_noted_and_the_start_goes_on(sig):
    probe = _probe(sig)
    assert (probe.returncode, probe.stdout, probe.stderr) == (0, f"{sig.name}\n", "")


@pytest.mark.parametrize(
    "signals",
    [(signal.SIGTERM, signal.SIGTERM), (signal.SIGINT, signal.SIGTERM)],
)
def test_ops3_a_second_stop_signal_during_the_start_exits_1_at_once(signals):
    probe = _probe(*signals)
    assert probe.returncode == 1 and probe.stdout == ""
    assert probe.stderr == "second stop signal during start-up: exiting now (code 1)\n"
