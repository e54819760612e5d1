"""Run the real daemon as a subprocess in a throw-away working directory.

Each `DaemonDir` is a copy of what an operator has: `app.yaml` (from app.yaml.example with
test-friendly overrides) and the shipped `config/` policy files. Nothing is mocked: the
daemon writes its real SQLite file, PID lock, logs and serves its real metrics port.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET_ENV = (
    "CB_API_KEY_FILE",
    "CB_API_KEY_NAME",
    "CB_API_PRIVATE_KEY_FILE",
    "CB_API_PRIVATE_KEY",
    "TRADER_CONFIRM_LIVE",
    "NOTIFY_SOCKET",
    "WATCHDOG_USEC",
)

TEST_PUBLIC_PER_S = 200  # also `trader sim --public-per-s` in tests/support/venue.py
TEST_OVERRIDES: dict[str, Any] = {
    "metrics": {"port": 0},
    "cycle": {"interval_s": 1, "jitter_pct": 0},
    "kill_switch": {"poll_interval_s": 0.1},
    # a start's candle backfill is ~50 public requests: at Coinbase's 10/s that is 5 s of
    # every test; the venue and the client agree on a higher limit instead
    "exchange": {"rate_limits": {"public_per_s": TEST_PUBLIC_PER_S}},
    "sim": {"rate_limits": {"public_per_s": TEST_PUBLIC_PER_S}},
}


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        out[key] = (
            merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


class DaemonDir:
    def __init__(self, root: Path, overrides: dict[str, Any] | None = None) -> None:
        self.root = root
        self.processes: list[DaemonProcess] = []
        shutil.copytree(REPO_ROOT / "config", root / "config")
        self.config = root / "app.yaml"
        self.write_app(overrides or {})

    def write_app(self, overrides: dict[str, Any]) -> None:
        base = yaml.safe_load((REPO_ROOT / "app.yaml.example").read_text())
        self.app = merge(merge(base, TEST_OVERRIDES), overrides)
        self.config.write_text(yaml.safe_dump(self.app, sort_keys=False))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def kill_switch(self) -> Path:
        return self.data / "KILL_SWITCH"

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
        env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env.update(extra or {})
        return env

    def cli(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "trader", *args, "--config", str(self.config)],
            cwd=self.root,
            env=self.env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> DaemonProcess:
        process = DaemonProcess(self, env, args)
        self.processes.append(process)
        return process

    def cleanup(self) -> None:
        """Kill whatever a failed test left running."""
        for process in self.processes:
            if process.proc.poll() is None:
                process.kill9()


class DaemonProcess:
    def __init__(self, home: DaemonDir, env: dict[str, str] | None, args: tuple[str, ...]) -> None:
        self.home = home
        self.stdout_path = home.root / f"stdout-{time.monotonic_ns()}.log"
        self._stdout = self.stdout_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "trader", "run", "--config", str(home.config), *args],
            cwd=home.root,
            env=home.env(env),
            stdout=self._stdout,
            stderr=subprocess.STDOUT,
        )
        self.port: int | None = None

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def events(self) -> list[dict[str, Any]]:
        found = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                found.append(orjson.loads(line))
        return found

    def wait_started(self, timeout: float = 20) -> int:
        def started() -> int | None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daemon exited with {self.proc.returncode}:\n{self.output()}")
            for event in self.events():
                if event.get("event") == "daemon_started":
                    return int(event["metrics"].rsplit(":", 1)[1])
            return None

        self.port = wait_for(started, timeout)
        return self.port

    def url(self, path: str) -> str:
        assert self.port, "wait_started() first"
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def status(self) -> dict[str, Any]:
        code, body = self.get("/status")
        assert code == 200, body
        return orjson.loads(body)

    def metrics(self) -> str:
        code, body = self.get("/metrics")
        assert code == 200
        return body.decode()

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def catches(self, sig: signal.Signals) -> bool:
        """True once the process has a handler for `sig` (its SigCgt mask in /proc), or
        once it has ended."""
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return True
        caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
        return bool(int(caught.split()[1], 16) & (1 << (sig - 1))) or self.proc.poll() is not None

    def wait(self, timeout: float = 15) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._stdout.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait()

    def kill9(self) -> None:
        self.proc.kill()
        self.wait()
