"""EX-3: a LIVE daemon halts with `clock_skew` when the venue clock is off beyond the bound,
and its cancels get through whichever clock is wrong: a `/time` answer hours off (the
venue checks tokens on its true clock: tokens are signed on the local clock once the
venue refuses the measured offset) or the local clock hours off (the venue's `/time` and
token check agree: tokens are signed with the measured offset). The real daemon against a
standalone simulated venue (`trader sim` process)."""

from __future__ import annotations

import re
import signal
from typing import Any

import pytest

from tests.support.chaos import ChaosRun
from tests.support.chaos_faults import stranded_orders
from tests.support.daemon import DaemonProcess, wait_for
from tests.support.venue import merge_yaml, start_venue
from trader.daemon.key_watch import KEY_REJECTED

HOURS_OFF = 3 * 3600  # beyond the chaos run's bound (one hour)
TIME_ANSWER_OFF = {"kind": "time_skew", "skew_s": HOURS_OFF}


def test_ex3_live_daemon_halts_when_the_clock_drifts_beyond_the_bound(daemon_dir, tmp_path):
    venue = start_venue(tmp_path, seed=8, products=2)
    try:
        daemon_dir.write_app(
            {
                "mode": "LIVE",
                "exchange": venue.exchange_section(
                    read_only=False, max_clock_offset_ms=1000, clock_check_interval_s=1
                ),
            }
        )
        env = {"CB_API_KEY_FILE": str(venue.key_file), "TRADER_CONFIRM_LIVE": "1"}
        daemon = daemon_dir.start(env=env)
        daemon.wait_started(timeout=60)
        wait_for(lambda: "trading" in daemon.status(), timeout=60)
        assert daemon.status()["state"] == "ACTIVE"
        venue.call("POST", "/clock", {"offset_s": 2.5})
        wait_for(lambda: daemon.status()["halt_reason"] == "clock_skew", timeout=20)
        status = daemon.status()
        assert status["state"] == "HALTED"
        assert 2.3 < status["trading"]["clock_offset_s"] < 2.7
        assert daemon.stop() == 0
    finally:
        venue.stop()


@pytest.fixture
def run(tmp_path):
    chaos = ChaosRun(tmp_path, seed=41, products=4)
    merge_yaml(chaos.home.config, {"execution": {"entry_ttl_s": 120}})  # entries rest a while
    yield chaos
    chaos.stop()


def _cancelled(run: ChaosRun, order_ids: set[str]) -> bool:
    ledger = run.venue.call("GET", "/ledger")["orders"]
    return {o["status"] for o in ledger if o["order_id"] in order_ids} == {"CANCELLED"}


def _halted_on_the_clock(daemon: DaemonProcess) -> dict[str, Any]:
    return wait_for(
        lambda: (
            (s := daemon.status()).get("halt_reason") == "clock_skew"
            and s.get("trading", {}).get("reconciled")
            and s
        ),
        timeout=90,
    )


def _events(daemon: DaemonProcess, name: str) -> list[dict[str, Any]]:
    return [e for e in daemon.events() if e.get("event") == name]


@pytest.mark.parametrize(
    ("wrong", "signing"),
    [("time_answer", "local"), ("local_clock", "measured")],
)
def test_ex3_a_clock_hours_off_at_a_live_start_halts_and_the_orders_are_cancelled(
    run, wrong, signing
):
    """Orders rest from a run killed with -9; the start finds the clock hours off: HALTED
    `clock_skew` (not a refused key), reconciled, the halt's cancel-all and the SIGTERM
    stop's own go through (exit 0, not 4 or 7)."""
    resting = _resting_from_a_killed_run(run)
    if wrong == "time_answer":
        run.venue.call("POST", "/faults", TIME_ANSWER_OFF)
    else:
        run.venue.call("POST", "/clock", {"offset_s": HOURS_OFF})
    daemon = run.home.start(env=run.daemon_env)
    daemon.wait_started(timeout=60)
    status = _halted_on_the_clock(daemon)
    assert status["state"] == "HALTED"
    assert status["trading"]["clock_offset_s"] == pytest.approx(HOURS_OFF, abs=2)
    assert status["trading"]["signing_clock"] == signing
    wait_for(lambda: _cancelled(run, resting), timeout=30, interval=0.2)
    switched = _events(daemon, "signing_clock_switched")
    assert len(switched) == (1 if signing == "local" else 0)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=30) == 0, daemon.output()[-3000:]
    assert not _events(daemon, KEY_REJECTED)


def test_ex3_a_time_answer_hours_off_while_trading_halts_and_cancels(run):
    """`/time` goes hours off under a trading daemon: the periodic measurement halts it
    (`clock_skew`) and its cancel-all gets through on the local clock; a kill-switch touch
    and a SIGTERM after it still reach the venue."""
    daemon = run.start_daemon()
    resting = stranded_orders(run)
    run.venue.call("POST", "/faults", TIME_ANSWER_OFF)
    _halted_on_the_clock(daemon)
    wait_for(lambda: _cancelled(run, resting), timeout=30, interval=0.2)
    assert daemon.status()["trading"]["signing_clock"] == "local"
    run.home.kill_switch.touch()
    wait_for(lambda: daemon.status()["halt_reason"] == "kill_switch", timeout=10)
    wait_for(lambda: not daemon.status()["halt_cancel"]["cancel_pending"], timeout=30)
    assert daemon.status()["halt_cancel"]["last_error"] in (None, "")
    assert daemon.stop() == 0, daemon.output()[-3000:]
    assert not _events(daemon, KEY_REJECTED)


def _resting_from_a_killed_run(run: ChaosRun) -> set[str]:
    """Orders resting at the venue from a daemon killed with -9 (its state file knows them)."""
    daemon = run.start_daemon()
    resting = stranded_orders(run)
    daemon.kill9()
    return resting


def test_ex3_ops2_a_key_refused_on_both_clocks_at_a_live_start_names_the_clock_too(
    daemon_dir, tmp_path
):
    """The local clock hours off and the venue's `/time` answer hours off the other way:
    neither the measured offset nor the local clock gets a token accepted. The start is
    refused with exit 4 as a refused key, in one line that says both clocks were tried,
    names the offset measured and sends the operator to the system clock (NTP) too."""
    venue = start_venue(tmp_path, seed=8, products=2)
    try:
        venue.call("POST", "/clock", {"offset_s": HOURS_OFF})  # the local clock is behind
        venue.call("POST", "/faults", TIME_ANSWER_OFF)  # and `/time` is further off still
        daemon_dir.write_app({"mode": "LIVE", "exchange": venue.exchange_section(read_only=False)})
        env = {"CB_API_KEY_FILE": str(venue.key_file), "TRADER_CONFIRM_LIVE": "1"}
        daemon = daemon_dir.start(env=env)
        code = daemon.wait(timeout=90)
    finally:
        venue.stop()
    output = daemon.output()
    assert code == 4, output[-3000:]
    (line,) = [line for line in output.splitlines() if line.startswith("LIVE refused:")]
    assert "the venue refused the API key (HTTP 401) on both clock bases: key " in line, line
    offset = re.search(r"the venue's /time, ([-+][0-9.]+) s from the local one", line)
    assert offset is not None and float(offset[1]) == pytest.approx(2 * HOURS_OFF, abs=2), line
    assert "check the system clock (NTP" in line and "as well as that the key exists" in line
    assert "Traceback" not in output
    (rejected,) = _events(daemon, KEY_REJECTED)
    assert rejected["error"] == line.removeprefix("LIVE refused: ")
