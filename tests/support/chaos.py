"""The chaos run (X-1, X-4, X-5, ST-2, OPS-4): the real daemon in LIVE against a standalone
simulated venue, with random faults, `kill -9` and restarts, and kill-switch drills; then
the daemon's SQLite is audited against the venue's ledger, fills and balances.

    python -m tests.support.chaos --faults 1000     (scripts/chaos)

Both the CI test and the larger run use this module; only the sizes differ.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from tests.support.chaos_audit import check, summary
from tests.support.daemon import REPO_ROOT, DaemonDir, DaemonProcess, merge, wait_for

POLICY = {
    "max_position_pct": 4,
    "max_total_exposure_pct": 90,
    "max_open_positions": 20,
    "max_trades_per_hour": 100000,
    "max_trades_per_day": 1000000,
    "min_seconds_between_trades": 2,
    "cooldown_after_fill_s": 0,
    "cooldown_after_stop_s": 0,
    "consecutive_losses_limit": 100000,
    "daily_loss_limit_pct": -90,
    "max_drawdown_pct": 95,
    "max_spread_bps": 1000,
    "min_notional": 2,
    "outlier_sigma_k": 1000,
}
SIGNALS = {
    "price_move": {"threshold_15m_pct": 0.001, "threshold_60m_pct": 0.001},
    "momentum": {"min_return_pct": 0.001, "min_consistency": 0.0},
    "min_score": 0.0,
    "max_candle_age_s": 600,
}
STRATEGY_RULES = {
    "min_conviction": 0.0,
    "default_exits": {"stop_loss_pct": 0.1, "take_profit_pct": 0.1, "max_hold_minutes": 0.25},
    "exits_by_trigger": {
        kind: {"stop_loss_pct": 0.1, "take_profit_pct": 0.1, "max_hold_minutes": 0.25}
        for kind in ("price_move_15m", "price_move_60m", "volume_spike", "breakout", "momentum")
    },
}
UNIVERSE = {
    "min_listing_age_days": 0,
    "min_daily_volatility_pct": 0,
    "max_daily_volatility_pct": 1000,
    "tiers": {
        name: {"min_quote_volume_24h": 0, "max_spread_bps": 1000}
        for name in ("core", "rotational", "event")
    },
}
FAULTS: list[dict[str, Any]] = [
    {
        "kind": "timeout_after_accept",
        "count": 1,
        "path_prefix": "/api/v3/brokerage/orders",
        "method": "POST",
        "hold_s": 3.0,
    },
    {
        "kind": "timeout_after_accept",
        "count": 1,
        "path_prefix": "/api/v3/brokerage/orders",
        "method": "POST",
        "mode": "drop",
    },
    {"kind": "http_5xx", "count": 2, "status": 503},
    {"kind": "http_5xx", "count": 1, "path_prefix": "/api/v3/brokerage/orders", "method": "POST"},
    {"kind": "http_429", "count": 3},
    {"kind": "http_429", "count": 2, "body": "html"},
    {"kind": "ws_gap", "count": 1},
    {"kind": "ws_drop", "count": 3},
    {"kind": "ws_duplicate", "count": 3},
    {"kind": "latency", "count": 5, "latency_ms": 300, "jitter_ms": 200},
]
WS_CLOSE_CODES = (1000, 1001, 1006)


def _merge(path: Path, override: dict[str, Any]) -> None:
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


@dataclass
class Counts:
    faults: int = 0
    ws_closes: int = 0
    kills: int = 0
    drills: list[float] = field(default_factory=list)
    drill_open_orders: list[int] = field(default_factory=list)


class ChaosRun:
    def __init__(self, root: Path, seed: int, products: int = 8) -> None:
        self.rng = random.Random(seed)
        self.venue = start_venue(root, seed, products)
        names = [p["product_id"] for p in self._products()][:products]
        self.home = DaemonDir(
            root / "daemon",
            {
                "mode": "LIVE",
                "exchange": self.venue.exchange_section(
                    read_only=False, products=names, request_timeout_s=1.5
                ),
                "execution": {"entry_ttl_s": 3, "max_reprices": 1, "reconcile_interval_s": 15},
                "kill_switch": {"poll_interval_s": 0.05},
            },
        )
        config = self.home.root / "config"
        _merge(config / "policy.yaml", POLICY)
        _merge(config / "signals.yaml", SIGNALS)
        _merge(config / "strategies.yaml", {"rules": STRATEGY_RULES})
        _merge(config / "universe.yaml", UNIVERSE)
        self.env = {"CB_API_KEY_FILE": str(self.venue.key_file), "TRADER_CONFIRM_LIVE": "1"}
        self.counts = Counts()
        self.daemon: DaemonProcess | None = None

    def _products(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(self.venue.rest + "/market/products", timeout=10) as response:
            return list(json.loads(response.read())["products"])

    # -- driving ---------------------------------------------------------------------
    def start_daemon(self) -> DaemonProcess:
        self.daemon = self.home.start(env=self.env)
        self.daemon.wait_started(timeout=60)
        wait_for(lambda: self.daemon is not None and "trading" in self.daemon.status(), timeout=90)
        return self.daemon

    def inject(self) -> None:
        if self.rng.random() < 0.15:
            self.venue.call("POST", "/ws/close", {"code": self.rng.choice(WS_CLOSE_CODES)})
            self.counts.ws_closes += 1
        else:
            self.venue.call("POST", "/faults", dict(self.rng.choice(FAULTS)))
        self.counts.faults += 1

    def kill9_and_restart(self) -> None:
        assert self.daemon is not None
        self.daemon.kill9()
        self.counts.kills += 1
        self.start_daemon()

    def own_open(self) -> int:
        return sum(1 for o in self.venue.call("GET", "/ledger")["orders"] if o["status"] == "OPEN")

    def drill(self) -> None:
        """OPS-4: touch the file while orders rest; all cancelled within 2 s."""
        self.venue.call("DELETE", "/faults")
        try:
            wait_for(lambda: self.own_open() > 0, timeout=20, interval=0.05)
        except TimeoutError:
            return  # no order resting now: a drill proves nothing without one
        self.counts.drill_open_orders.append(self.own_open())
        touched = time.monotonic()
        self.home.kill_switch.touch()
        wait_for(lambda: self.own_open() == 0, timeout=10, interval=0.02)
        self.counts.drills.append(time.monotonic() - touched)
        self.home.kill_switch.unlink()
        result = self.home.cli("resume", env=self.env)
        if result.returncode != 0:
            raise RuntimeError(f"resume failed: {result.stderr}")

    def run(self, faults: int, kill_every: int, drill_every: int, pause_s: float) -> None:
        self.start_daemon()
        for index in range(1, faults + 1):
            self.inject()
            time.sleep(self.rng.uniform(0.2, pause_s))
            if index % kill_every == 0:
                self.kill9_and_restart()
            if index % drill_every == 0:
                self.drill()
        self.settle()

    def settle(self) -> None:
        """No more faults: let the daemon resolve everything, then stop it gracefully."""
        self.venue.call("DELETE", "/faults")
        assert self.daemon is not None
        wait_for(lambda: self._submitting() == 0, timeout=60, interval=0.2)
        assert self.daemon.stop() == 0

    def _submitting(self) -> int:
        with sqlite3.connect(self.home.data / "trader.db") as conn:
            return int(
                conn.execute("SELECT COUNT(*) FROM intents WHERE state = 'SUBMITTING'").fetchone()[
                    0
                ]
            )

    # -- the audit -------------------------------------------------------------------
    def audit(self) -> dict[str, Any]:
        ledger = self.venue.call("GET", "/ledger")["orders"]
        venue_fills = self.venue.call("GET", "/fills")["fills"]
        balances = {
            b["currency"]: Decimal(b["available"]) + Decimal(b["hold"])
            for b in self.venue.call("GET", "/balances")["balances"]
        }
        with sqlite3.connect(self.home.data / "trader.db") as conn:
            intent_rows = {
                row[0]: row[1:]
                for row in conn.execute(
                    "SELECT client_order_id, state, exchange_order_id, purpose, filled_size, "
                    "attempts, last_error FROM intents"
                )
            }
            intents = dict(
                conn.execute("SELECT client_order_id, exchange_order_id FROM intents").fetchall()
            )
            states = dict(
                conn.execute("SELECT state, COUNT(*) FROM intents GROUP BY state").fetchall()
            )
            fills = conn.execute(
                "SELECT trade_id, product_id, side, price, size, commission FROM fills"
            ).fetchall()
            halts = [
                row[0]
                for row in conn.execute(
                    "SELECT json_extract(payload, '$.reason') FROM audit_events WHERE kind = 'halt'"
                )
            ]
            halt_details = [
                row[0]
                for row in conn.execute(
                    "SELECT json_extract(payload, '$.detail') FROM audit_events "
                    "WHERE kind = 'halt' AND json_extract(payload, '$.reason') != 'kill_switch'"
                )
            ]
            positions = {
                r[0]: Decimal(r[1])
                for r in conn.execute("SELECT product_id, base_size FROM positions")
            }
        return {
            "ledger": ledger,
            "venue_fills": venue_fills,
            "balances": balances,
            "intents": intents,
            "intent_rows": intent_rows,
            "halts": halts,
            "halt_details": halt_details,
            "states": states,
            "fills": fills,
            "positions": positions,
        }

    def stop(self) -> None:
        self.home.cleanup()
        self.venue.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description="run the chaos suite at a chosen size")
    parser.add_argument("--faults", type=int, default=200)
    parser.add_argument("--kill-every", type=int, default=25)
    parser.add_argument("--drill-every", type=int, default=40)
    parser.add_argument("--pause", type=float, default=1.0, help="max seconds between faults")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trader-chaos-") as tmp:
        run = ChaosRun(Path(tmp), args.seed)
        try:
            run.run(args.faults, args.kill_every, args.drill_every, args.pause)
            audit = run.audit()
        except Exception:
            if run.daemon is not None:
                print("--- last daemon output ---\n" + run.daemon.output()[-6000:])
            raise
        finally:
            run.stop()
    problems = check(audit)
    print(summary(run, audit))
    for problem in problems:
        print(f"FAIL {problem}")
    print("all invariants hold" if not problems else f"{len(problems)} invariant(s) broken")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
