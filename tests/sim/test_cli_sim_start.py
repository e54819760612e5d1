"""SIM-1: a `trader sim` whose start fails says so in one line and cleans up: recorded data
it cannot read is bad configuration (exit 2); an address the machine will not listen on
(not one of its own, or in use) is exit 6, as `run` does for its metrics port."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.support.sim_cli import run_sim

_sim = run_sim


def _one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr
    assert "REST" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_sim1_replay_dir_without_data_fails_once_and_cleanly(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    result = _sim(
        "--market", "binance-5m", "--replay", str(tmp_path), "--port", "0",
        "--write-credentials", str(creds),
    )  # fmt: skip
    line = _one_line(result, 2)
    assert line.startswith("trader sim: market binance-5m cannot be built from ")
    assert str(tmp_path) in line
    assert not creds.exists()


def test_sim1_host_not_of_this_machine_is_exit_6_naming_host_and_port(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    result = _sim("--host", "192.0.2.1", "--port", "0", "--write-credentials", str(creds))
    line = _one_line(result, 6)
    assert line.startswith("trader sim: not started: sim venue 192.0.2.1:0 cannot be opened: ")
    assert not creds.exists()


def test_sim1_port_in_use_is_exit_6_naming_host_and_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _sim("--port", str(port), "--products", "2")
    line = _one_line(result, 6)
    assert f"sim venue 127.0.0.1:{port} cannot be opened: Address already in use" in line
