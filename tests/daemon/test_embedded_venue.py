"""CFG-3, SIM-1: the example config runs on the embedded simulated venue; `trader sim` serves."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.daemon import REPO_ROOT, DaemonDir, wait_for


def _burst(rest_url: str, count: int) -> list[int]:
    """The statuses of `count` public requests sent back to back."""
    statuses = []
    for _ in range(count):
        try:
            with urllib.request.urlopen(f"{rest_url}/market/products", timeout=5) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
    return statuses


def test_cfg3_default_daemon_serves_the_embedded_venue_over_http(daemon_dir):
    assert daemon_dir.app["exchange"]["venue"] == "sim" and daemon_dir.app["mode"] == "DRY_RUN"
    daemon = daemon_dir.start()
    daemon.wait_started()
    wait_for(lambda: "trading" in daemon.status(), timeout=60)  # backfill done: venue quiet
    venue_url = daemon.status()["venue_url"]
    assert venue_url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(f"{venue_url}/market/products", timeout=5) as response:
        products = json.loads(response.read())["products"]
    assert len(products) == daemon_dir.app["sim"]["products"]
    assert all(isinstance(p["price"], str) for p in products)
    assert daemon.stop() == 0


def start_venue_process(workdir: Path, *extra: str) -> subprocess.Popen[str]:
    """`trader sim` on any free port with 3 products, its key written to `workdir`."""
    command = ["sim", "--port", "0", "--products", "3", "--write-credentials", str(workdir)]
    return subprocess.Popen(
        [sys.executable, "-m", "trader", *command, *extra],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def announced(proc: subprocess.Popen[str]) -> dict[str, str]:
    """What `trader sim` prints once it serves: REST, WS, KEY_FILE."""
    lines: dict[str, str] = {}

    def read_line() -> bool:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if " " in line:
            key, value = line.strip().split(" ", 1)
            lines[key] = value
        return "REST" in lines and "KEY_FILE" in lines

    wait_for(read_line, timeout=20)
    return lines


def announced_rest(proc: subprocess.Popen[str]) -> str:
    return announced(proc)["REST"]


def test_sim1_trader_sim_command_serves_and_stops_on_sigterm(tmp_path):
    proc = start_venue_process(tmp_path)
    try:
        lines = announced(proc)
        with urllib.request.urlopen(f"{lines['REST']}/time", timeout=5) as response:
            assert "epochSeconds" in json.loads(response.read())
        key = json.loads((tmp_path / "cdp_api_key.json").read_text())
        assert key["name"].startswith("organizations/") and "PRIVATE KEY" in key["privateKey"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sim1_embedded_venue_answers_429_beyond_its_configured_public_rate(tmp_path):
    home = DaemonDir(tmp_path, {"sim": {"rate_limits": {"public_per_s": 2}}})
    daemon = home.start()
    try:
        daemon.wait_started()
        statuses = _burst(daemon.status()["venue_url"], 12)
        assert 429 in statuses and statuses.count(200) <= 4, statuses
        assert daemon.stop() == 0
    finally:
        home.cleanup()


def test_sim1_trader_sim_public_rate_option_sets_where_429_begins(tmp_path):
    limited = start_venue_process(tmp_path / "limited", "--public-per-s", "3")
    free = start_venue_process(tmp_path / "free", "--public-per-s", "3", "--no-rate-limit")
    try:
        statuses = _burst(announced_rest(limited), 12)
        assert statuses[:3] == [200] * 3 and 429 in statuses[3:], statuses
        assert _burst(announced_rest(free), 12) == [200] * 12
    finally:
        for proc in (limited, free):
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
