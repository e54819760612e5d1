"""OPS-1, OPS-2, OPS-3, ST-2: the real daemon process — lock, gates, signals, kill -9."""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from decimal import Decimal

import orjson
import pytest
import yaml

from tests.support.daemon import wait_for
from tests.support.start_up import START_UP, hold_while_configuration_read, release_the_hold
from tests.support.venue import throwaway_key_pem
from trader.config.loader import load_config
from trader.ops.gates import CONFIRM_ENV, live_gate_problems
from trader.ops.pidlock import lock_is_held, read_holder

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
LIVE = {"mode": "LIVE", "exchange": {"venue": "coinbase", "read_only": False}}


def test_ops1_second_instance_exits_3_naming_the_holder(daemon_dir):
    first = daemon_dir.start()
    first.wait_started()
    second = daemon_dir.cli("run")
    assert second.returncode == 3
    assert f"PID {first.proc.pid}" in second.stderr
    assert read_holder(daemon_dir.data / "trader.pid") == first.proc.pid
    assert first.stop() == 0


def test_ops2_live_refused_exit_4_naming_each_missing_gate(daemon_dir):
    daemon_dir.write_app(LIVE)
    result = daemon_dir.cli("run")
    assert result.returncode == 4, result.stderr
    assert "TRADER_CONFIRM_LIVE=1" in result.stderr
    assert "no API credentials" in result.stderr
    assert not daemon_dir.data.exists()


def test_ops2_live_refused_with_world_readable_key_file(daemon_dir, tmp_path):
    daemon_dir.write_app(LIVE)
    key = tmp_path / "key.pem"
    key.write_bytes(throwaway_key_pem())  # a real key: the file's mode is what is refused
    key.chmod(0o644)
    env = {
        "CB_API_KEY_NAME": "organizations/o/apiKeys/k",
        "CB_API_PRIVATE_KEY_FILE": str(key),
        "TRADER_CONFIRM_LIVE": "1",
    }
    result = daemon_dir.cli("run", env=env)
    assert result.returncode == 4
    assert "readable by group or others" in result.stderr
    assert "TRADER_CONFIRM_LIVE" not in result.stderr  # that gate is open


def test_ops2_confirm_live_flag_counts_as_confirmation(daemon_dir):
    daemon_dir.write_app(LIVE)
    result = daemon_dir.cli("run", "--confirm-live")
    assert result.returncode == 4
    assert "TRADER_CONFIRM_LIVE" not in result.stderr
    assert "no API credentials" in result.stderr


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("yes", "'yes'"),
        ("true", "'true'"),
        ("0", "'0'"),
        (" 1", "' 1'"),
        ("1\n", "'1\\n'"),
        ("\x1b[31m1", "'\\x1b[31m1'"),
        ("\u2028", "'\\u2028'"),
        ("y" * 300, f"'{'y' * 40}…'"),
    ],
    ids=ascii,
)
def test_ops2_a_confirmation_other_than_1_is_named_with_the_value_it_got(daemon_dir, value, shown):
    """TRADER_CONFIRM_LIVE holds something, not `1`: the gate says what it got (escaped,
    cut at 40 characters) and what it must be, on one line - not that it is missing."""
    daemon_dir.write_app(LIVE)
    loaded = load_config(daemon_dir.config)
    problems = live_gate_problems(loaded, None, confirm_flag=False, env={CONFIRM_ENV: value})
    assert problems[0] == (
        f"operator confirmation not given: TRADER_CONFIRM_LIVE is {shown}, it must be 1 "
        "(or pass --confirm-live)"
    )
    assert live_gate_problems(loaded, None, confirm_flag=True, env={CONFIRM_ENV: value}) == [
        problems[1]  # the flag confirms, whatever the variable holds
    ]
    if value == "yes":  # and so says `run`, once among its gates, exit 4
        result = daemon_dir.cli("run", env={CONFIRM_ENV: value})
        assert result.returncode == 4
        assert f"LIVE refused: {problems[0]}\n" in result.stderr


def test_ops3_sigterm_exits_0_within_10s_and_releases_the_lock(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    assert lock_is_held(daemon_dir.data / "trader.pid")
    started = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=10) == 0
    assert time.monotonic() - started < 10
    assert not lock_is_held(daemon_dir.data / "trader.pid")
    assert any(e["event"] == "daemon_stopped" for e in daemon.events())
    again = daemon_dir.start()
    again.wait_started()
    assert again.stop() == 0


def test_ops3_sigint_also_stops_cleanly(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    daemon.signal(signal.SIGINT)
    assert daemon.wait(timeout=10) == 0


@pytest.mark.parametrize(
    ("moment", "sig"),
    [(m, signal.SIGTERM) for m in START_UP]
    + [(m, signal.SIGINT) for m in ("configuration_being_read", "lock_taken")],
)
def test_ops3_a_stop_signal_at_any_moment_of_the_start_exits_0(daemon_dir, moment, sig):
    """From `trader run`'s first line on, whatever step the start is at (imports, the
    configuration, the lock, the state file, the listener), SIGTERM or SIGINT gives the same
    end: exit 0, one `daemon_stopped` line — `during: start-up` exactly when the daemon had
    not said `daemon_started` — the lock free and the state file sound."""
    held = moment == "configuration_being_read"
    if held:
        hold_while_configuration_read(daemon_dir)
    daemon = daemon_dir.start()
    START_UP[moment](daemon_dir, daemon)
    daemon.signal(sig)
    release_the_hold(daemon_dir)
    assert daemon.wait(timeout=15) == 0, daemon.output()
    assert all(line.startswith("{") for line in daemon.output().splitlines()), daemon.output()
    events = daemon.events()
    stopped = [e for e in events if e["event"] == "daemon_stopped"]
    assert len(stopped) == 1 and stopped[0]["exit_code"] == 0, events
    started = any(e["event"] == "daemon_started" for e in events)
    assert (stopped[0].get("during") == "start-up") is not started, events
    assert not lock_is_held(daemon_dir.data / "trader.pid")
    assert not (held and daemon_dir.data.exists())  # stopped before the lock: nothing made
    if (daemon_dir.data / "trader.db").exists():
        assert daemon_dir.cli("status").returncode == 0
    leftovers = [p.name for p in daemon_dir.root.rglob("*.tmp")]
    assert leftovers == []


def test_ops3_sighup_reloads_a_valid_config_and_keeps_the_old_on_error(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    old_hash = daemon.status()["config_hash"]
    daemon_dir.write_app({"cycle": {"interval_s": 2}})
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: daemon.status()["config_hash"] != old_hash, timeout=5)
    new_hash = daemon.status()["config_hash"]
    daemon_dir.config.write_text(daemon_dir.config.read_text() + "\nbogus_key: 1\n")
    daemon.signal(signal.SIGHUP)
    wait_for(
        lambda: 'trader_config_reloads_total{result="rejected"} 1.0' in daemon.metrics(), timeout=5
    )
    assert daemon.status()["config_hash"] == new_hash
    daemon_dir.write_app({"mode": "PAPER"})
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: 'result="needs_restart"} 1.0' in daemon.metrics(), timeout=5)
    assert daemon.status()["mode"] == "DRY_RUN"
    assert daemon.stop() == 0


def test_ops3_a_burst_of_sighups_reloads_one_at_a_time_and_adopts_the_last_files(daemon_dir):
    """SIGHUPs sent faster than a reload runs (a deploy script, a configuration manager):
    reloads side by side loaded the user's plugin files at once (a strategy's parameter
    model found half defined: `Task exception was never retrieved` with a traceback, the
    reload neither applied nor counted), and one finishing late could adopt files older
    than the last signal. One reload runs at a time; the signals heard meanwhile make one
    more after it."""
    daemon = daemon_dir.start()
    daemon.wait_started()
    for interval in (2, 3):
        daemon_dir.write_app({"cycle": {"interval_s": interval}})
        for _ in range(25):
            daemon.signal(signal.SIGHUP)
    last = load_config(daemon_dir.config).config_hash
    wait_for(lambda: daemon.status()["config_hash"] == last, timeout=30, interval=0.1)
    time.sleep(1)  # any reload still owed has begun and ended by now
    reloads = [e for e in daemon.events() if e["event"].startswith("config_reload")]
    assert reloads and {e["event"] for e in reloads} == {"config_reloaded"}, reloads
    assert len(reloads) < 50, "each signal heard during a reload made one of its own"
    assert reloads[-1]["new_hash"] == last == daemon.status()["config_hash"]
    metrics = daemon.metrics()
    assert f'trader_config_reloads_total{{result="applied"}} {len(reloads)}.0' in metrics
    assert daemon.stop() == 0
    assert "Traceback" not in daemon.output() and "exception" not in daemon.output()


def test_ops3_sigusr2_is_logged_and_ignored_never_the_default_exit(daemon_dir):
    """SIGUSR2 means nothing to the daemon; its default action would end the process at
    once, open orders left at the venue. It is logged, the daemon stays ready and stops
    cleanly afterwards."""
    daemon = daemon_dir.start()
    daemon.wait_started()
    daemon.signal(signal.SIGUSR2)
    wait_for(lambda: any(e.get("event") == "signal_ignored" for e in daemon.events()), 5)
    assert daemon.proc.poll() is None
    wait_for(lambda: daemon.get("/readyz")[0] == 200, timeout=30)
    assert daemon.stop() == 0


def test_st2_kill9_then_restart_works_and_aborts_the_open_cycle(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    wait_for(lambda: daemon.status()["last_cycle"], timeout=5)
    with sqlite3.connect(daemon_dir.data / "trader.db") as conn:  # a cycle cut off mid-way
        conn.execute(
            "INSERT INTO cycles (cycle_id, started_at, status, config_hash, mode) "
            "VALUES ('cut', 1, 'RUNNING', 'h', 'DRY_RUN')"
        )
    daemon.kill9()
    assert read_holder(daemon_dir.data / "trader.pid") == daemon.proc.pid  # stale file left
    with sqlite3.connect(daemon_dir.data / "trader.db") as conn:  # the kill may cut one more
        running = conn.execute("SELECT COUNT(*) FROM cycles WHERE status = 'RUNNING'").fetchone()
    assert running[0] in (1, 2)
    again = daemon_dir.start()
    again.wait_started()
    started = next(e for e in again.events() if e["event"] == "daemon_started")
    assert started["aborted_cycles"] == running[0]
    wait_for(lambda: again.status()["last_cycle"], timeout=5)
    assert again.stop() == 0
    with sqlite3.connect(daemon_dir.data / "trader.db") as conn:
        assert conn.execute("SELECT status FROM cycles WHERE cycle_id='cut'").fetchone() == (
            "ABORTED",
        )


def test_ops5_status_command_from_daemon_and_from_database(daemon_dir):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    daemon_dir.write_app({"metrics": {"port": port}})
    assert daemon_dir.cli("status").returncode == 1  # never ran: nothing to report
    daemon = daemon_dir.start()
    daemon.wait_started()
    live = daemon_dir.cli("status", "--json")
    assert live.returncode == 0, live.stderr
    document = orjson.loads(live.stdout)
    assert document["source"] == "daemon" and document["mode"] == "DRY_RUN"
    assert document["state"] == "ACTIVE" and document["pid"] == daemon.proc.pid
    # OPS-5: the venue actually used, ISO UTC times, the book valued at the last step
    assert document["venue_url"].startswith("http://127.0.0.1:")
    assert ISO_UTC.fullmatch(document["started_at"])
    wait_for(lambda: daemon.status()["equity"] is not None, timeout=30, interval=0.2)
    live = daemon.status()
    assert Decimal(live["equity"]) > 0 and live["quote_currency"] == "USD"
    assert ISO_UTC.fullmatch(live["valued_at"]) and ISO_UTC.fullmatch(
        live["last_cycle"]["started_at"]
    )
    assert isinstance(live["last_decisions"], list) and isinstance(live["exclusions"], dict)
    assert daemon.stop() == 0
    offline = daemon_dir.cli("status", "--json")
    document = orjson.loads(offline.stdout)
    assert document["source"] == "database" and document["running"] is False
    assert document["state"] == "ACTIVE" and Decimal(document["equity"]) > 0
    assert document["venue_url"] == "embedded venue (not running)"
    assert ISO_UTC.fullmatch(document["last_cycle"]["finished_at"])
    text = daemon_dir.cli("status")
    assert "not running" in text.stdout and "state:    ACTIVE" in text.stdout
    assert "equity:   " in text.stdout and "last decisions:" in text.stdout
    assert "universe exclusions:" in text.stdout


def test_cfg1_config_hash_is_stored_with_every_cycle(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    wait_for(lambda: daemon.status()["last_cycle"], timeout=5)
    expected = daemon.status()["config_hash"]
    assert daemon.stop() == 0
    with sqlite3.connect(daemon_dir.data / "trader.db") as conn:
        hashes = {row[0] for row in conn.execute("SELECT config_hash FROM cycles")}
    assert hashes == {expected}
    assert yaml.safe_load(daemon_dir.config.read_text())["mode"] == "DRY_RUN"


def _edit_yaml(path, change):
    data = yaml.safe_load(path.read_text()) or {}
    change(data)
    path.write_text(yaml.safe_dump(data))


def test_ops3_sighup_applies_a_new_policy_to_decisions_and_refuses_signal_changes(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    wait_for(lambda: "trading" in daemon.status(), timeout=60)
    products = daemon.status()["trading"]["products"]
    _edit_yaml(
        daemon_dir.root / "config" / "universe.yaml",
        lambda data: data.__setitem__("exclusions", products),
    )
    daemon.signal(signal.SIGHUP)

    def excluded_by_operator() -> bool:
        with sqlite3.connect(daemon_dir.data / "trader.db") as conn:
            rows = conn.execute("SELECT payload FROM audit_events WHERE kind = 'universe'")
            reasons = {e["reason"] for (p,) in rows for e in orjson.loads(p)["excluded"]}
        return "excluded" in reasons

    wait_for(excluded_by_operator, timeout=10)  # the next cycle decided under the new policy
    _edit_yaml(
        daemon_dir.root / "config" / "signals.yaml", lambda data: data.__setitem__("min_score", 0.9)
    )
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: 'result="needs_restart"} 1.0' in daemon.metrics(), timeout=5)
    assert daemon.stop() == 0


def test_ops5_components_and_their_failure_policy_in_status_and_metrics(daemon_dir):
    """Every long-running job is a component: its state and failure policy are in /status
    and in `trader_component_state` (DRY_RUN on the embedded venue: no order jobs)."""
    daemon = daemon_dir.start()
    daemon.wait_started()
    wait_for(lambda: daemon.get("/readyz")[0] == 200, timeout=30, interval=0.2)
    components = daemon.status()["components"]
    policies = {name: c["policy"] for name, c in components.items()}
    assert policies["cycle"] == policies["kill_switch"] == policies["state_sync"] == "stop"
    assert policies["exit_watch"] == policies["fee_refresh"] == "restart"
    assert "trading_start" not in components  # done: the trading runtime runs
    assert not {"user_stream", "resolve", "reconcile"} & set(components)  # DRY_RUN
    assert {c["state"] for c in components.values()} == {"running"}
    text = daemon.metrics()
    assert 'trader_component_state{component="cycle",state="running"} 1.0' in text
    assert 'trader_component_state{component="kill_switch",state="failed"} 0.0' in text
    assert daemon.stop() == 0
