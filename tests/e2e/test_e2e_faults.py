"""EX-1, EX-2, EX-3, OPS-5 end to end: the real daemon in DRY_RUN survives venue faults
injected through the simulated venue's HTTP control endpoint (`/_sim/...`).

One daemon on the embedded synthetic venue serves the whole module; each test injects one
fault and checks the same recovery: the process is alive, `/healthz` answers 200, `/readyz`
is back to 200, the market stream is up again, market data is fresh again and cycles keep
completing OK (none FAILED). The last test starts a second daemon against a standalone
`trader sim`, because only a venue that exists before the daemon starts can show a clock
offset and a 429 storm to the daemon's start-up, where the offset is measured (EX-3) and
the public endpoints are used hardest (product list, listing times, candle backfill).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.helpers import http_json, metric, samples, sim_get, sim_post, venue_root
from tests.support.daemon import DaemonDir, DaemonProcess, wait_for
from tests.support.venue import start_venue

PUBLIC = "/api/v3/brokerage/market"
RECOVERY_S = 20
FRESH_S = 5.0


@dataclass
class Running:
    daemon: DaemonProcess
    venue: str


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Iterator[Running]:
    home = DaemonDir(
        tmp_path_factory.mktemp("faults"),
        {"sim": {"products": 3}, "cycle": {"interval_s": 1, "jitter_pct": 0}},
    )
    try:
        daemon = home.start()
        daemon.wait_started(timeout=30)
        wait_for(lambda: "trading" in daemon.status(), timeout=45, interval=0.1)
        yield Running(daemon, venue_root(daemon))
        assert daemon.stop() == 0
    finally:
        home.cleanup()


def _ok_cycles(daemon: DaemonProcess) -> float:
    return metric(daemon.metrics(), "trader_cycles_total", status="OK")


def _grew(daemon: DaemonProcess, name: str, before: float, **labels: str) -> float:
    def moved() -> float:
        value = metric(daemon.metrics(), name, **labels)
        return value if value > before else 0.0

    return float(wait_for(moved, timeout=RECOVERY_S, interval=0.1))


def assert_survived(
    daemon: DaemonProcess, ok_cycles_before: float, allowed_errors: frozenset[str] = frozenset()
) -> None:
    """Alive, healthy, ready again, fresh data, and cycles completing again (bounded)."""
    assert daemon.proc.poll() is None, daemon.output()[-3000:]
    assert daemon.get("/healthz")[0] == 200
    wait_for(lambda: daemon.get("/readyz")[0] == 200, timeout=RECOVERY_S, interval=0.1)
    wait_for(
        lambda: metric(daemon.metrics(), "trader_market_stream_up") == 1,
        timeout=RECOVERY_S,
        interval=0.1,
    )

    def fresh() -> bool:
        ages = samples(daemon.metrics(), "trader_market_data_age_seconds")
        return bool(ages) and max(age for _, age in ages) <= FRESH_S

    wait_for(fresh, timeout=RECOVERY_S, interval=0.1)
    wait_for(lambda: _ok_cycles(daemon) >= ok_cycles_before + 2, timeout=RECOVERY_S, interval=0.1)
    text = daemon.metrics()
    assert metric(text, "trader_cycles_total", status="FAILED") == 0
    assert metric(text, "trader_stage_errors_total") == 0
    errors = [
        e
        for e in daemon.events()
        if e.get("level") in ("error", "critical") and e.get("event") not in allowed_errors
    ]
    assert errors == [], errors  # recovered faults are warnings, not errors


@pytest.mark.parametrize("code", [1000, 1001, 1006])
def test_ex2_ws_close_reconnects_and_cycles_go_on(running: Running, code: int):
    daemon, before = running.daemon, running.daemon.metrics()
    reconnects = metric(before, "trader_ws_reconnects_total", stream="market")
    rule = sim_post(running.venue, "faults", {"kind": "ws_close", "code": code, "count": 1})
    assert rule["kind"] == "ws_close"
    _grew(daemon, "trader_ws_reconnects_total", reconnects, stream="market")
    reasons = {
        labels["reason"]
        for labels, value in samples(daemon.metrics(), "trader_ws_reconnects_total")
        if value > metric(before, "trader_ws_reconnects_total", **labels)
    }
    assert any(str(code) in reason for reason in reasons), reasons
    assert_survived(daemon, metric(before, "trader_cycles_total", status="OK"))


def test_ex2_sequence_gap_detected_and_resubscribed(running: Running):
    daemon, before = running.daemon, running.daemon.metrics()
    gaps = metric(before, "trader_ws_sequence_gaps_total", stream="market")
    sim_post(running.venue, "faults", {"kind": "ws_gap", "gap": 3, "count": 1})
    _grew(daemon, "trader_ws_sequence_gaps_total", gaps, stream="market")
    assert any(e.get("event") == "ws_sequence_gap" for e in daemon.events())
    assert_survived(daemon, metric(before, "trader_cycles_total", status="OK"))


def test_ex2_ws_down_for_several_reconnects_falls_back_to_rest_polls(running: Running):
    """Each new connection is closed at its first frame (three times): the daemon polls
    REST for quotes meanwhile and comes back to the stream."""
    daemon, before = running.daemon, running.daemon.metrics()
    reconnects = metric(before, "trader_ws_reconnects_total", stream="market")
    polls = metric(before, "trader_market_data_polls_total")
    sim_post(running.venue, "faults", {"kind": "ws_close", "code": 1006, "count": 3})
    wait_for(
        lambda: (
            metric(daemon.metrics(), "trader_ws_reconnects_total", stream="market")
            >= reconnects + 3
        ),
        timeout=RECOVERY_S,
        interval=0.1,
    )
    assert metric(daemon.metrics(), "trader_market_data_polls_total") > polls
    assert_survived(daemon, metric(before, "trader_cycles_total", status="OK"))


def test_ex3_clock_offset_while_running_keeps_private_requests_working(running: Running):
    """The venue clock moves 0.8 s (inside the JWT leeway): signed requests keep working.
    (The daemon re-measures the offset every 300 s; its export is checked at start, below.)"""
    daemon, before = running.daemon, running.daemon.metrics()
    accounts_ok = metric(before, "trader_exchange_requests_total", endpoint="accounts")
    sim_post(running.venue, "clock", {"offset_s": 0.8})
    try:
        code, body = http_json("GET", f"{running.venue}/api/v3/brokerage/time")
        assert code == 200
        assert abs(float(body["epochSeconds"]) - time.time() - 0.8) < 1.5
        _grew(daemon, "trader_exchange_requests_total", accounts_ok, endpoint="accounts")
        assert_survived(daemon, metric(before, "trader_cycles_total", status="OK"))
        after = daemon.metrics()
        assert metric(after, "trader_exchange_requests_total", endpoint="accounts") > accounts_ok
        failed_accounts = [
            (labels, value)
            for labels, value in samples(after, "trader_exchange_requests_total")
            if labels.get("endpoint") == "accounts" and labels.get("outcome") != "ok"
        ]
        assert all(
            value == metric(before, "trader_exchange_requests_total", **labels)
            for labels, value in failed_accounts
        ), failed_accounts
    finally:
        sim_post(running.venue, "clock", {"offset_s": 0.0})


# -- a venue that exists before the daemon starts ------------------------------------------
@pytest.fixture
def standalone_venue(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`trader sim` as its own process (the shared launcher), announced URLs and key file."""
    venue = start_venue(tmp_path, seed=7, products=3)
    try:
        yield {"REST": venue.rest, "WS": venue.ws, "KEY_FILE": str(venue.key_file)}
    finally:
        venue.stop()


def test_ex1_ex3_public_429_storm_and_clock_offset_at_start(
    tmp_path: Path, standalone_venue: dict[str, str]
):
    rest, ws = standalone_venue["REST"], standalone_venue["WS"]
    venue = rest.removesuffix("/api/v3/brokerage")
    sim_post(venue, "clock", {"offset_s": 0.8})
    storm = sim_post(venue, "faults", {"kind": "http_429", "path_prefix": PUBLIC, "count": 12})
    home = DaemonDir(
        tmp_path / "work",
        {
            "exchange": {
                "venue": "coinbase",
                "rest_url": rest,
                "ws_market_url": ws,
                "ws_user_url": ws,
            },
            "cycle": {"interval_s": 1, "jitter_pct": 0},
        },
    )
    try:
        daemon = home.start(env={"CB_API_KEY_FILE": standalone_venue["KEY_FILE"]})
        daemon.wait_started(timeout=30)
        wait_for(lambda: "trading" in daemon.status(), timeout=45, interval=0.1)
        faults = sim_get(venue, "faults")
        # the storm hit the start-up's public reads, which backed off and got through
        assert faults["counts"].get("http_429", 0) >= 1, faults
        assert storm["id"] not in [r["id"] for r in faults["rules"]], "storm used up"
        text = daemon.metrics()
        assert metric(text, "trader_exchange_retries_total", reason="429") >= 1
        # EX-3: the offset measured at start is the venue's, exported and shown
        offset = metric(text, "trader_clock_offset_seconds")
        assert 0.7 < offset < 0.9, offset
        assert 0.7 < daemon.status()["trading"]["clock_offset_s"] < 0.9
        # a start-up that ran out of retries is itself retried until it works (logged)
        retried = [e for e in daemon.events() if e.get("event") == "trading_start_failed"]
        assert all("429" in e["error"] for e in retried), retried
        assert_survived(daemon, _ok_cycles(daemon), frozenset({"trading_start_failed"}))
        assert sim_get(venue, "ledger")["orders"] == []  # DRY_RUN
        assert daemon.stop() == 0
    finally:
        home.cleanup()
    started = [e for e in daemon.events() if e.get("event") == "clock_offset_measured"]
    assert started and 0.7 < started[0]["offset_s"] < 0.9, json.dumps(started)
