"""OPS-4: the kill-switch file halts within a second, persists, and only `resume` resumes."""

from __future__ import annotations

import time

import pytest

from tests.support.daemon import wait_for
from tests.support.read_only import read_only
from trader.daemon.killswitch import read_reason


def _halted(daemon) -> bool:
    return daemon.status()["state"] == "HALTED"


def test_ops4_kill_switch_file_halts_within_1s_and_sets_metric(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    assert daemon.status()["state"] == "ACTIVE"
    assert "trader_kill_switch_active 0.0" in daemon.metrics()
    daemon_dir.kill_switch.touch()
    touched = time.monotonic()
    wait_for(lambda: _halted(daemon), timeout=1.0, interval=0.01)
    assert time.monotonic() - touched < 1.0
    status = daemon.status()
    assert status["halt_reason"] == "kill_switch" and status["halted_at"]
    metrics = daemon.metrics()
    assert "trader_kill_switch_active 1.0" in metrics
    assert 'trader_trading_state{state="HALTED"} 1.0' in metrics
    code, _ = daemon.get("/readyz")
    assert code == 503
    code, _ = daemon.get("/healthz")
    assert code == 200  # halted is not unhealthy: it keeps serving and reconciling
    critical = [e for e in daemon.events() if e["level"] == "critical"]
    assert any(e["event"] == "kill_switch_engaged" for e in critical)
    assert any(e["event"] == "kill_switch_engaged" for e in _file_events(daemon_dir))
    assert daemon.stop() == 0


def _file_events(home):
    import orjson

    return [orjson.loads(line) for line in (home.logs / "trader.log").read_text().splitlines()]


def test_ops4_removing_file_does_not_resume_and_resume_is_refused_while_present(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    killed = daemon_dir.cli("kill", "--reason", "drill")
    assert killed.returncode == 0 and daemon_dir.kill_switch.exists()
    wait_for(lambda: _halted(daemon), timeout=1.0)
    assert "drill" in daemon.status()["halt_detail"]
    refused = daemon_dir.cli("resume")
    assert refused.returncode == 4 and "still exists" in refused.stderr
    daemon_dir.kill_switch.unlink()
    time.sleep(0.5)
    assert _halted(daemon), "removing the file must not resume"
    assert "trader_kill_switch_active 0.0" in daemon.metrics()
    resumed = daemon_dir.cli("resume", "--note", "drill over")
    assert resumed.returncode == 0, resumed.stderr
    wait_for(lambda: daemon.status()["state"] == "ACTIVE", timeout=3)
    wait_for(lambda: daemon.get("/readyz")[0] == 200, timeout=60)  # trading connected, data fresh
    assert daemon.stop() == 0


def test_ops4_halted_survives_restart(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    daemon_dir.kill_switch.touch()
    wait_for(lambda: _halted(daemon), timeout=1.0)
    assert daemon.stop() == 0
    daemon_dir.kill_switch.unlink()
    again = daemon_dir.start()
    again.wait_started()
    status = again.status()
    assert status["state"] == "HALTED" and status["halt_reason"] == "kill_switch"
    assert again.stop() == 0


def test_ops4_file_present_at_start_halts_before_the_first_cycle(daemon_dir):
    daemon_dir.data.mkdir()
    daemon_dir.kill_switch.write_text("left by operator\n")
    daemon = daemon_dir.start()
    daemon.wait_started()
    status = daemon.status()
    assert status["state"] == "HALTED" and status["halt_detail"] == "left by operator"
    assert daemon.stop() == 0


def test_ops4_auto_resume_when_configured(daemon_dir):
    daemon_dir.write_app({"kill_switch": {"auto_resume": True, "poll_interval_s": 0.1}})
    daemon = daemon_dir.start()
    daemon.wait_started()
    daemon_dir.kill_switch.touch()
    wait_for(lambda: _halted(daemon), timeout=1.0)
    daemon_dir.kill_switch.unlink()
    wait_for(lambda: daemon.status()["state"] == "ACTIVE", timeout=2)
    assert daemon.stop() == 0


def _unwritable_switch(daemon_dir, setting: str = "blocked/KILL_SWITCH") -> None:
    """A kill-switch path whose directory cannot be created (a file sits where it would
    go): `trader kill` cannot write it, even as root, like a read-only data directory."""
    daemon_dir.data.mkdir(exist_ok=True)
    (daemon_dir.data / "blocked").write_text("not a directory\n")
    daemon_dir.write_app({"paths": {"kill_switch_file": setting}})


def test_ops4_kill_in_a_data_directory_gone_read_only_signals_the_running_daemon(daemon_dir):
    """The data directory made read-only while the daemon runs (a disk remounted after
    errors): `trader kill` cannot create its file and signals the daemon instead — it was
    refused as a configuration error (exit 2: data_dir is not writable) and halted nothing."""
    daemon = daemon_dir.start()
    daemon.wait_started()
    with read_only(daemon_dir.data):
        killed = daemon_dir.cli("kill", "--reason", "disk remounted")
        assert killed.returncode == 0, killed.stderr
        assert "SIGUSR1" in killed.stdout and "Traceback" not in killed.stderr
        wait_for(lambda: daemon.status()["halt_reason"] == "kill_switch_signal", timeout=1.0)
    assert daemon.stop() == 0


def test_ops4_kill_without_a_writable_file_signals_the_running_daemon(daemon_dir):
    _unwritable_switch(daemon_dir)
    daemon = daemon_dir.start()
    daemon.wait_started()
    killed = daemon_dir.cli("kill", "--reason", "readonly drill")
    assert killed.returncode == 0, killed.stderr
    assert "cannot create the kill-switch file" in killed.stdout and "SIGUSR1" in killed.stdout
    assert "Traceback" not in killed.stdout + killed.stderr
    wait_for(lambda: daemon.status()["halt_reason"] == "kill_switch_signal", timeout=1.0)
    time.sleep(0.5)
    assert daemon.status()["state"] == "HALTED"  # no file to remove: it stays halted
    assert daemon_dir.cli("resume").returncode == 0
    wait_for(lambda: daemon.status()["state"] == "ACTIVE", timeout=3)
    assert daemon.stop() == 0


@pytest.mark.parametrize(
    "setting", ["blocked/KILL_SWITCH", "blocked/deeper/KILL_SWITCH", "blocked/a/b/KILL_SWITCH"]
)
def test_ops4_kill_without_a_writable_file_or_a_daemon_says_exactly_why(daemon_dir, setting):
    """A file where the kill-switch file's folder (or one above it) must be: the line names
    the setting, the path and that file - not the OS's "File exists" / "Not a directory"."""
    _unwritable_switch(daemon_dir, setting)
    killed = daemon_dir.cli("kill")
    assert killed.returncode == 1
    lines = killed.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        "kill switch NOT engaged: cannot create the kill-switch file (paths.kill_switch_file) "
        f"{daemon_dir.data / setting}: its folder {daemon_dir.data / 'blocked'} is a file, "
        "not a directory; no daemon holds"
    ), lines[0]
    doctor = daemon_dir.cli("doctor")
    line = next(line for line in doctor.stdout.splitlines() if "kill_switch" in line)
    assert line.startswith("WARN") and "can never be created" in line, line
    assert f"its folder {daemon_dir.data / 'blocked'} is a file" in line


def test_ops4_a_directory_at_the_kill_switch_path_engages_it(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    daemon_dir.kill_switch.mkdir()
    wait_for(lambda: _halted(daemon), timeout=1.0)
    assert daemon.status()["halt_reason"] == "kill_switch"
    killed = daemon_dir.cli("kill", "--reason", "dir")
    assert killed.returncode == 0 and "Traceback" not in killed.stderr, killed.stderr
    strays = [p.name for p in daemon_dir.data.iterdir() if p.name.startswith("tmp")]
    assert strays == []  # the failed atomic write left nothing behind
    time.sleep(0.5)
    assert daemon.proc.poll() is None and _halted(daemon)
    assert daemon.stop() == 0


def test_ops3_a_metrics_port_in_use_is_one_line_and_exit_6(daemon_dir):
    import socket

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        daemon_dir.write_app({"metrics": {"port": holder.getsockname()[1]}})
        daemon = daemon_dir.start()
        code = daemon.wait(timeout=30)
        output = daemon.output()
        assert code == 6 and "Traceback" not in output, output[-2000:]
        refusal = [line for line in output.splitlines() if line.startswith("not started:")]
        assert len(refusal) == 1 and "cannot be opened" in refusal[0]
        events = [e for e in _file_events(daemon_dir) if e["event"] == "daemon_stopped"]
        assert events and events[-1]["exit_code"] == 6  # the file log says why, not 0
    finally:
        holder.close()


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", None),
        ("  \n", None),
        ("drill\n", "drill"),
        ("x" * 500, "x" * 500),
        ("x" * 501, "x" * 500 + "… (501 characters)"),
        ("é" * 600 + "\n", "é" * 500 + "… (600 characters)"),
        ("y" * (1 << 20) + "z", "y" * 500 + f"… (more than {1 << 20} bytes)"),
    ],
    ids=["empty", "blank", "short", "500", "501", "multibyte", "beyond_1MiB"],
)
def test_ops4_the_halt_detail_is_the_files_text_cut_at_500_characters(tmp_path, text, detail):
    switch = tmp_path / "KILL_SWITCH"
    switch.write_text(text, encoding="utf-8")
    assert read_reason(switch) == detail
    assert switch.read_text(encoding="utf-8") == text  # the file keeps it whole


def test_ops4_a_100kb_reason_is_logged_once_and_cut_the_file_keeps_it_whole(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    reason = "why " * 25_000
    killed = daemon_dir.cli("kill", "--reason", reason)
    assert killed.returncode == 0, killed.stderr
    kept = daemon_dir.kill_switch.read_text(encoding="utf-8").strip()
    assert kept.startswith(f"{reason} (by ")  # whole, with who and when
    wait_for(lambda: _halted(daemon), timeout=1.0)
    detail = daemon.status()["halt_detail"]
    assert detail == f"{kept[:500]}… ({len(kept)} characters)"
    assert daemon.stop() == 0
    for log in (daemon.output(), (daemon_dir.logs / "trader.log").read_text()):
        showing = [line for line in log.splitlines() if "why why" in line]
        assert len(showing) == 1 and '"event":"trading_halted"' in showing[0], showing
        assert len(showing[0]) < 1000


def test_ops4_a_kill_switch_folder_removed_while_running_is_said_once_and_kill_still_halts(
    daemon_dir,
):
    """Was: the watcher saw `no file` and said nothing, so a switch nobody can create by
    hand (`touch`) looked like a switch that is off. `trader kill` makes the folder again."""
    folder = daemon_dir.root / "switch"
    folder.mkdir()
    daemon_dir.write_app({"paths": {"kill_switch_file": str(folder / "KILL_SWITCH")}})
    daemon = daemon_dir.start()
    daemon.wait_started()
    folder.rmdir()
    said = wait_for(
        lambda: [e for e in daemon.events() if e["event"] == "kill_switch_folder_missing"],
        timeout=5,
    )
    assert said[0]["level"] == "error" and said[0]["path"] == str(folder / "KILL_SWITCH")
    killed = daemon_dir.cli("kill", "--reason", "folder gone")
    assert killed.returncode == 0, killed.stderr
    wait_for(lambda: daemon.status()["halt_reason"] == "kill_switch", timeout=2.0)
    wait_for(lambda: any(e["event"] == "kill_switch_folder_back" for e in daemon.events()), 5)
    events = [e["event"] for e in daemon.events()]
    assert events.count("kill_switch_folder_missing") == 1
    assert daemon.stop() == 0
