"""CFG-3, SIM-1: the example config runs on the embedded simulated venue; `trader sim` serves."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

from tests.support.daemon import REPO_ROOT, wait_for


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


def test_sim1_trader_sim_command_serves_and_stops_on_sigterm(tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trader",
            "sim",
            "--port",
            "0",
            "--products",
            "3",
            "--write-credentials",
            str(tmp_path),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: dict[str, str] = {}

        def announced() -> bool:
            line = proc.stdout.readline()
            if " " in line:
                key, value = line.strip().split(" ", 1)
                lines[key] = value
            return "REST" in lines and "KEY_FILE" in lines

        wait_for(announced, timeout=20)
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
