"""A standalone simulated venue (`trader sim` as its own process) that daemons under test
talk to as if it were Coinbase, and YAML merging for their config files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.daemon import REPO_ROOT, merge, wait_for


def merge_yaml(path: Path, override: dict[str, Any]) -> None:
    """Merge `override` into the YAML file at `path` (nested keys merged, others replaced)."""
    data = yaml.safe_load(path.read_text()) or {}
    path.write_text(yaml.safe_dump(merge(data, override), sort_keys=False))


@dataclass
class Venue:
    proc: subprocess.Popen[bytes] | subprocess.Popen[str]
    rest: str
    ws: str
    key_file: Path

    def exchange_section(self, **extra: Any) -> dict[str, Any]:
        """The `exchange:` settings that point a daemon at this venue (as if it were Coinbase)."""
        return {
            "venue": "coinbase",
            "rest_url": self.rest,
            "ws_market_url": self.ws,
            "ws_user_url": self.ws,
            **extra,
        }

    @property
    def control(self) -> str:
        return self.rest.removesuffix("/api/v3/brokerage") + "/_sim"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.control + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_venue(workdir: Path, seed: int, products: int) -> Venue:
    """`trader sim` as its own process; its output goes to a file (a pipe nobody reads
    would fill up and stall it)."""
    log_path = workdir / "venue.log"
    log_file = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trader",
            "sim",
            "--port",
            "0",
            "--products",
            str(products),
            "--seed",
            str(seed),
            "--trades-per-minute",
            "900",
            "--write-credentials",
            str(workdir),
        ],
        cwd=REPO_ROOT,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    log_file.close()

    def announced() -> dict[str, str] | None:
        if proc.poll() is not None:
            raise RuntimeError(f"venue exited with {proc.returncode}: {log_path.read_text()}")
        lines = dict(
            line.split(" ", 1)
            for line in log_path.read_text().splitlines()
            if line.split(" ", 1)[0] in ("REST", "WS", "KEY_FILE")
        )
        return lines if len(lines) == 3 else None

    lines = wait_for(announced, timeout=60, interval=0.05)
    return Venue(proc, lines["REST"], lines["WS"], Path(lines["KEY_FILE"]))
