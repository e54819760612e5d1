"""OPS-3, OPS-4: SIGHUP, SIGUSR1 and SIGUSR2 sent while `trader run` starts neither end
the process (their default action) nor go unheard: each is applied once the daemon has
started, with one `signal_during_start_up` line saying what was done, or - when the start
is stopped - one line saying it was not. Real signals at observable start points."""

from __future__ import annotations

import signal

import pytest

from tests.support.daemon import wait_for
from tests.support.start_up import START_UP, hold_while_configuration_read, release_the_hold
from trader.config.loader import load_config
from trader.daemon.killswitch import KILL_SIGNAL_REASON
from trader.ops.pidlock import lock_is_held

LATER = (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)
MOMENTS = ("handler_in_place", "configuration_being_read", "lock_taken", "state_file_opened")
# the daemon may have its own handlers by then: the signal is handled as it runs
MAYBE_STARTED = {"state_file_opened"}
HANDLED_AS_RUNNING = {
    signal.SIGHUP: "config_reloaded",
    signal.SIGUSR1: "kill_switch_engaged",
    signal.SIGUSR2: "signal_ignored",
}


def _names(daemon) -> list[str]:
    return [e["event"] for e in daemon.events()]


def _start_at(home, moment):
    if moment == "configuration_being_read":
        hold_while_configuration_read(home)
    daemon = home.start()
    START_UP[moment](home, daemon)
    return daemon


@pytest.mark.parametrize("sig", LATER, ids=lambda s: s.name)
@pytest.mark.parametrize("moment", MOMENTS)
def test_ops3_a_signal_during_the_start_is_applied_once_started(daemon_dir, moment, sig):
    daemon = _start_at(daemon_dir, moment)
    if sig is signal.SIGHUP:  # what the reload must adopt
        daemon_dir.write_app({"cycle": {"interval_s": 2}})
    daemon.signal(sig)
    release_the_hold(daemon_dir)
    daemon.wait_started()
    events = [e["event"] for e in daemon.events()]
    during = [e for e in daemon.events() if e["event"] == "signal_during_start_up"]
    if moment not in MAYBE_STARTED or during:
        assert [(e["signal"], e["level"]) for e in during] == [(sig.name, "warning")], events
        assert events.index("signal_during_start_up") < events.index("daemon_started")
    else:  # handled by the running daemon: a reload builds its strategies off the loop first
        wait_for(lambda: HANDLED_AS_RUNNING[sig] in _names(daemon), timeout=20, interval=0.1)
    status = daemon.status()
    if sig is signal.SIGHUP:
        assert status["config_hash"] == load_config(daemon_dir.config).config_hash
    if sig is signal.SIGUSR1:
        assert (status["state"], status["halt_reason"]) == ("HALTED", KILL_SIGNAL_REASON)
    else:
        assert status["state"] == "ACTIVE"
    assert daemon.proc.poll() is None
    assert daemon.stop() == 0


@pytest.mark.parametrize("moment", ["configuration_being_read", "lock_taken"])
def test_ops3_signals_heard_in_a_start_that_is_stopped_are_named_as_not_applied(daemon_dir, moment):
    daemon = _start_at(daemon_dir, moment)
    for sig in (signal.SIGUSR1, signal.SIGHUP, signal.SIGUSR1, signal.SIGTERM):
        daemon.signal(sig)
    release_the_hold(daemon_dir)
    assert daemon.wait(timeout=15) == 0, daemon.output()
    events = daemon.events()
    during = [(e["signal"], e["action"]) for e in events if e["event"] == "signal_during_start_up"]
    not_applied = "none: the start was stopped"
    assert sorted(during) == [("SIGHUP", not_applied), ("SIGUSR1", not_applied)], events
    stopped = [e for e in events if e["event"] == "daemon_stopped"]
    assert len(stopped) == 1 and stopped[0].get("during") == "start-up", events
    assert not lock_is_held(daemon_dir.data / "trader.pid")
