"""The chaos run (X-1, X-4, X-5, X-7, ST-1..3, OPS-4, R-5): the real daemon in LIVE against a
standalone simulated venue, with random faults — the venue's own (timeouts after accept,
5xx, 429, WebSocket drops, gaps and closes, resends answered 429/4xx/5xx, account reads
failing) and faults from outside (`kill -9` and restarts, SIGSTOP of the daemon, another
process locking the state file, the state file deleted or truncated, the wall clock
stepped back, the venue stopped during a kill-switch drill); then the daemon's SQLite is
audited against the venue's ledger, fills and balances (tests/support/chaos_audit.py).

    python -m tests.support.chaos --faults 1000     (scripts/chaos)

Both the CI test and the larger run use this module; only the sizes differ.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from tests.support import chaos_faults as outside
from tests.support import chaos_mix as mixes
from tests.support.chaos_audit import ALLOWED_HALTS, check, stored, summary
from tests.support.chaos_config import write_order_flow
from tests.support.daemon import DaemonDir, DaemonProcess, wait_for
from tests.support.venue import start_venue

WS_CLOSE_CODES = (1000, 1001, 1006)


@dataclass
class Counts:
    faults: int = 0
    ws_closes: int = 0
    kills: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    drills: list[float] = field(default_factory=list)
    drill_open_orders: list[int] = field(default_factory=list)
    outage_drills: list[float] = field(default_factory=list)
    faulted_drills: list[float] = field(default_factory=list)  # the batch cancel faulted
    drill_attempts: int = 0
    adoptions: int = 0


@dataclass
class Mix:
    """Which fault kinds a run injects, and how hard. `outside`: the OS-level kinds;
    `wide`: tests/support/chaos_mix.py's wide mix of the venue's kinds, not FAULTS alone."""

    outside: bool = True
    wide: bool = False
    lock_max_s: float = 6.0
    outage_max_s: float = 8.0
    clock_step_max_s: int = 300
    lose_state_every: int = 0  # 0: never


class ChaosRun:
    def __init__(
        self,
        root: Path,
        seed: int,
        products: int = 8,
        mix: Mix | None = None,
        balances: dict[str, str] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.mix = mix or Mix(outside=False)
        self.venue = start_venue(root, seed, products, balances)
        names = [p["product_id"] for p in self._products()][:products]
        self.product_ids = names
        self.flagged: dict[str, int] = {}  # product -> fault count when its flag ends
        self.home = DaemonDir(
            root / "daemon",
            {
                "mode": "LIVE",
                "exchange": self.venue.exchange_section(
                    read_only=False,
                    products=names,
                    request_timeout_s=1.5,
                    # the wall clock is stepped on purpose: measured often, never a halt
                    max_clock_offset_ms=3_600_000,
                    clock_check_interval_s=2,
                ),
                "execution": {
                    "entry_ttl_s": 3,
                    "max_reprices": 1,
                    "reconcile_interval_s": 15,
                    "absence_proof_s": 3,
                },
                "kill_switch": {"poll_interval_s": 0.05},
            },
        )
        write_order_flow(self.home.root / "config")
        self.env = {"CB_API_KEY_FILE": str(self.venue.key_file), "TRADER_CONFIRM_LIVE": "1"}
        self.clock_file: Path | None = None
        if self.mix.outside:
            clock_env = outside.faketime_env(root / "clock-offset")
            self.clock_file = root / "clock-offset" if clock_env else None
            self.daemon_env = {**self.env, **clock_env}
        else:
            self.daemon_env = dict(self.env)
        self.counts = Counts()
        self.daemon: DaemonProcess | None = None

    lock_max_s = property(lambda self: self.mix.lock_max_s)
    outage_max_s = property(lambda self: self.mix.outage_max_s)
    clock_step_max_s = property(lambda self: self.mix.clock_step_max_s)

    @property
    def state_path(self) -> Path:
        return self.home.data / "trader.db"

    def _products(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(self.venue.rest + "/market/products", timeout=10) as response:
            return list(json.loads(response.read())["products"])

    # -- looking -----------------------------------------------------------------------
    def own_open(self) -> int:
        return sum(1 for o in self.venue.call("GET", "/ledger")["orders"] if o["status"] == "OPEN")

    def wait_own_open(self, timeout: float = 20) -> int:
        try:
            return int(wait_for(lambda: self.own_open(), timeout=timeout, interval=0.05))
        except TimeoutError:
            return 0  # no order resting now: a drill proves nothing without one

    def stored_state(self) -> tuple[str, str | None]:
        with sqlite3.connect(self.state_path, timeout=10) as conn:
            row = conn.execute("SELECT trading_state, halt_reason FROM risk_state").fetchone()
        return str(row[0]), row[1]

    def daemon_status(self) -> dict[str, Any]:
        assert self.daemon is not None
        return self.daemon.status()

    # -- driving ---------------------------------------------------------------------
    def start_daemon(self) -> DaemonProcess:
        """Start (after a lost state: adopt first when the start is refused or waits)."""
        self.daemon = self.home.start(env=self.daemon_env)
        try:
            self.daemon.wait_started(timeout=60)
        except RuntimeError:
            if self.daemon.proc.returncode != 5:
                raise
            self._adopt_refused_state()
            return self.start_daemon()
        wait_for(lambda: self._gate_decided(), timeout=120, interval=0.1)
        if self._gate_decided() == "adoption":
            assert self.daemon.stop() == 0
            self._adopt()
            return self.start_daemon()
        if self.daemon_status()["halt_reason"] in ALLOWED_HALTS:
            self.resume()
        return self.daemon

    def _gate_decided(self) -> str | None:
        """ "open" once reconciled, "adoption" when the state needs it, else None (the
        venue may still be failing the start-up reconcile: it is retried). A status request
        that times out is "not yet": the fault mix pauses the daemon (SIGSTOP, up to 4 s) and
        holds its state file's lock (up to 3 s) while it starts, which a loaded machine can
        stretch past the request's 5 s; `wait_for`'s own deadline still bounds the wait."""
        try:
            trading = self.daemon_status().get("trading")
        except (TimeoutError, urllib.error.URLError):
            return None
        if not trading:
            return None
        report = trading.get("reconcile") or {}
        if report.get("adoption_required"):
            return "adoption"
        return "open" if trading.get("reconciled") else None

    def _adopt_refused_state(self) -> None:
        """A state file the start refused (truncated): moved away, then adopted."""
        for suffix in ("", "-wal", "-shm"):
            path = self.state_path.with_name(self.state_path.name + suffix)
            if path.exists():
                path.rename(path.with_name(f"{path.name}.refused"))
        self._adopt()

    def _adopt(self) -> None:
        result = self.home.cli("adopt", env=self.env, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"adopt failed ({result.returncode}): {result.stderr}")
        self.counts.adoptions += 1

    def resume(self) -> None:
        if self.home.kill_switch.exists():
            self.home.kill_switch.unlink()
        result = self.home.cli("resume", env=self.env)
        if result.returncode != 0:
            raise RuntimeError(f"resume failed: {result.stderr}")

    def inject(self) -> None:
        roll = self.rng.random()
        if roll < 0.12:
            self.venue.call("POST", "/ws/close", {"code": self.rng.choice(WS_CLOSE_CODES)})
            self.counts.ws_closes += 1
            kind = "ws_close"
        elif roll < 0.25:
            kind = outside.resend_rejection(self)
        elif roll < 0.30:
            kind = outside.accounts_outage(self)
        elif self.mix.outside and roll < 0.40:
            injector = self.rng.choice(
                [outside.state_lock, outside.daemon_paused, outside.clock_step]
            )
            kind = injector(self)
        elif self.mix.wide:
            kind = mixes.inject(self)
        else:
            kind = mixes.base_fault(self)
        self.counts.kinds[kind] += 1
        self.counts.faults += 1

    def kill9_and_restart(self) -> None:
        assert self.daemon is not None
        self.daemon.kill9()
        self.counts.kills += 1
        if self.mix.wide and self.rng.random() < 0.5:
            self.counts.kinds[mixes.before_restart(self)] += 1
        self.start_daemon()

    def drill(self) -> None:
        """OPS-4: touch the file while orders rest; all cancelled within 2 s. With the
        outside faults, every other drill stops the venue first; with the wide mix, every
        fourth has its batch cancel faulted (its bound apart: `faulted_drills`)."""
        self.calm()
        self.counts.drill_attempts += 1
        if self.mix.outside and self.counts.drill_attempts % 2 == 0:
            seconds = outside.venue_down_drill(self)
            if seconds is not None:
                self.counts.outage_drills.append(seconds)
                self.counts.kinds["venue_down_drill"] += 1
                self.resume()
            return
        opened = self.wait_own_open()
        if not opened:
            return
        self.counts.drill_open_orders.append(opened)
        faulted = self.mix.wide and self.counts.drill_attempts % 4 == 3
        if faulted:
            self.counts.kinds[mixes.drill_faults(self)] += 1
        touched = time.monotonic()
        self.home.kill_switch.touch()
        wait_for(lambda: self.own_open() == 0, timeout=10, interval=0.02)
        drills = self.counts.faulted_drills if faulted else self.counts.drills
        drills.append(time.monotonic() - touched)
        if faulted:
            self.venue.call("DELETE", "/faults")  # a cancel fault not yet used
        self.resume()

    def calm(self) -> None:
        """No fault rule left, the venue's clock and prices true, no product flagged."""
        self.venue.call("DELETE", "/faults")
        mixes.restore_flags(self)

    def lose_state(self) -> None:
        self.calm()
        self.counts.kinds[outside.lose_state(self)] += 1
        self.start_daemon()

    def run(self, faults: int, kill_every: int, drill_every: int, pause_s: float) -> None:
        self.start_daemon()
        lose_every = self.mix.lose_state_every if self.mix.outside else 0
        for index in range(1, faults + 1):
            self.inject()
            time.sleep(self.rng.uniform(0.2, pause_s))
            if index % kill_every == 0:
                self.kill9_and_restart()
            if index % drill_every == 0:
                self.drill()
            if lose_every and index % lose_every == 0:
                self.lose_state()
        self.settle()

    def settle(self) -> None:
        """No more faults: the true time back, everything resolved, then a graceful stop."""
        self.calm()
        if self.clock_file is not None:
            self.clock_file.write_text("+0\n")
        assert self.daemon is not None
        wait_for(lambda: self._submitting() == 0, timeout=90, interval=0.2)
        assert self.daemon.stop() == 0

    def _submitting(self) -> int:
        with sqlite3.connect(self.state_path, timeout=10) as conn:
            row = conn.execute("SELECT COUNT(*) FROM intents WHERE state = 'SUBMITTING'")
            return int(row.fetchone()[0])

    # -- the audit -------------------------------------------------------------------
    def audit(self) -> dict[str, Any]:
        ledger = self.venue.call("GET", "/ledger")["orders"]
        venue_fills = self.venue.call("GET", "/fills")["fills"]
        balances = {
            b["currency"]: Decimal(b["available"]) + Decimal(b["hold"])
            for b in self.venue.call("GET", "/balances")["balances"]
        }
        with sqlite3.connect(self.state_path) as conn:
            found = stored(conn)
        status = self.home.cli("status", "--json", env=self.env)
        found["status"] = orjson.loads(status.stdout) if status.returncode == 0 else {}
        return {"ledger": ledger, "venue_fills": venue_fills, "balances": balances, **found}

    def stop(self) -> None:
        self.home.cleanup()
        self.venue.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description="run the chaos suite at a chosen size")
    parser.add_argument("--faults", type=int, default=200)
    parser.add_argument("--kill-every", type=int, default=25)
    parser.add_argument("--drill-every", type=int, default=40)
    parser.add_argument("--lose-state-every", type=int, default=100)
    parser.add_argument("--pause", type=float, default=1.0, help="max seconds between faults")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--venue-faults-only", action="store_true", help="no OS-level faults (the old mix)"
    )
    parser.add_argument(
        "--mix",
        choices=("wide", "narrow"),
        default="wide",
        help="the venue's faults: every plausible kind per endpoint (tests/support/"
        "chaos_mix.py), or the first, narrower list (FAULTS)",
    )
    args = parser.parse_args()
    mix = Mix(
        outside=not args.venue_faults_only,
        wide=args.mix == "wide",
        lose_state_every=args.lose_state_every,
    )
    with tempfile.TemporaryDirectory(prefix="trader-chaos-") as tmp:
        run = ChaosRun(Path(tmp), args.seed, mix=mix)
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
