"""OPS-8: systemd units verify, and the daemon speaks the notify protocol."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.daemon import wait_for


@pytest.mark.parametrize("unit", ["trader.service", "trader@.service"])
def test_ops8_systemd_analyze_verify_passes(repo_root: Path, tmp_path: Path, unit: str):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    install = tmp_path / "opt"
    (install / ".venv" / "bin").mkdir(parents=True)
    (install / ".venv" / "bin" / "python").symlink_to(Path(sys.executable).resolve())
    text = (repo_root / "systemd" / unit).read_text().replace("/opt/trader", str(install))
    target = tmp_path / unit.replace("@.", "@main.")
    target.write_text(text)
    result = subprocess.run([analyze, "verify", str(target)], capture_output=True, text=True)
    ours = [line for line in (result.stdout + result.stderr).splitlines() if target.name in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr
    for needle in (
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=",
        "PrivateTmp=yes",
    ):
        assert needle in text


def test_ops8_daemon_sends_ready_watchdog_and_stopping(daemon_dir, tmp_path):
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(0.05)
        daemon = daemon_dir.start(env={"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "400000"})
        received: list[str] = []

        def drain(expected: str) -> bool:
            with contextlib.suppress(TimeoutError):
                received.append(sock.recv(4096).decode())
            return any(expected in message for message in received)

        wait_for(lambda: drain("READY=1"), timeout=20)
        wait_for(lambda: drain("WATCHDOG=1"), timeout=5)
        daemon.wait_started()
        daemon.stop()
        wait_for(lambda: drain("STOPPING=1"), timeout=5)
    assert os.path.exists(path)


def test_ops7_installed_console_command_equals_module(repo_root: Path):
    console = Path(sys.executable).parent / "trader"
    if not console.exists():
        pytest.skip(
            "not running from the project's venv (scripts/test installs the console command)"
        )
    via_console = subprocess.run([str(console), "--version"], capture_output=True, text=True)
    via_module = subprocess.run(
        [sys.executable, "-m", "trader", "--version"], capture_output=True, text=True, cwd=repo_root
    )
    assert via_console.returncode == via_module.returncode == 0
    assert via_console.stdout == via_module.stdout
