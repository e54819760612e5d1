"""OPS-2, EX-1: a LIVE daemon whose API key the venue refuses. The real daemon against a
standalone simulated venue (`trader sim` process): a well-formed key the venue does not
accept stops the start with one line and exit 4, the state file left usable; a key that
stops working while the daemon trades halts it (`api_key_rejected`); a transient 401 is
retried with a new token and does neither."""

from __future__ import annotations

import time

import orjson
import pytest

from tests.support.chaos import ChaosRun
from tests.support.daemon import wait_for
from tests.support.venue import merge_yaml, start_venue
from trader.daemon.key_watch import KEY_REJECTED

REFUSED = "the venue refused the API key (HTTP 401)"
PRIVATE = ("orders", "accounts", "best_bid_ask", "transaction_summary")
BUSY = ("orders", "accounts")  # private requests a trading daemon makes every few seconds
API = "/api/v3/brokerage/"


@pytest.mark.parametrize("kind", ["unknown_name", "other_key"])
def test_ops2_a_key_the_venue_refuses_stops_the_start_with_one_line_exit_4(
    daemon_dir, tmp_path, kind
):
    venue = start_venue(tmp_path, seed=4, products=2)
    try:
        daemon_dir.write_app({"mode": "LIVE", "exchange": venue.exchange_section(read_only=False)})
        refused = venue.refused_key_file(tmp_path, kind)
        env = {"CB_API_KEY_FILE": str(refused), "TRADER_CONFIRM_LIVE": "1"}
        daemon = daemon_dir.start(env=env)
        code = daemon.wait(timeout=60)
        output = daemon.output()
        assert code == 4, output[-3000:]
        lines = [line for line in output.splitlines() if line.startswith("LIVE refused:")]
        assert len(lines) == 1, output[-3000:]
        assert REFUSED in lines[0] and str(refused) in lines[0]
        key_name = orjson.loads(refused.read_bytes())["name"]
        assert key_name in lines[0] and any(name in lines[0] for name in PRIVATE)
        assert "Traceback" not in output
        stopped = [e for e in daemon.events() if e["event"] == "daemon_stopped"]
        assert stopped == [{**stopped[0], "exit_code": 4}]
        assert venue.call("GET", "/ledger")["orders"] == []

        status = daemon_dir.cli("status", "--json")  # the state file as it was: usable
        assert status.returncode == 0, status.stderr
        assert orjson.loads(status.stdout)["state"] == "ACTIVE"
        good = {"CB_API_KEY_FILE": str(venue.key_file), "TRADER_CONFIRM_LIVE": "1"}
        again = daemon_dir.start(env=good)
        again.wait_started(timeout=60)
        wait_for(lambda: again.status().get("trading", {}).get("reconciled"), timeout=60)
        assert again.status()["state"] == "ACTIVE"
        assert again.stop() == 0
    finally:
        venue.stop()


@pytest.fixture
def run(tmp_path):
    chaos = ChaosRun(tmp_path, seed=31)
    merge_yaml(chaos.home.config, {"execution": {"entry_ttl_s": 30}})  # entries rest a while
    yield chaos
    chaos.stop()


def _refuse_every_private_request(run: ChaosRun) -> list[int]:
    return [
        run.venue.call("POST", "/faults", {"kind": "http_401", "path_prefix": API + path})["id"]
        for path in PRIVATE
    ]


def test_ex1_transient_401s_are_retried_and_neither_stop_nor_halt_live(run):
    """401s the fresh-token retry gets past, and a refusal at the start gate that the next
    attempt gets past (both tokens refused once), are transient: the daemon trades on."""
    list_orders = API + "orders/historical/batch"
    run.venue.call("POST", "/faults", {"kind": "http_401", "count": 2, "path_prefix": list_orders})
    daemon = run.start_daemon()  # returns once reconciled: the start gate passed
    assert any(e["event"] == "start_gate_waits_for_the_venue" for e in daemon.events())
    for path in BUSY:
        transient = {"kind": "http_401", "count": 2, "path_prefix": API + path}
        run.venue.call("POST", "/faults", transient)
    wait_for(lambda: not run.venue.call("GET", "/faults")["rules"], timeout=30, interval=0.2)
    time.sleep(8)  # longer than refusals must go on to count
    assert daemon.proc.poll() is None, daemon.output()[-3000:]
    status = daemon.status()
    assert status["state"] == "ACTIVE" and status["trading"]["reconciled"]
    assert run.venue.call("GET", "/faults")["counts"]["http_401"] == 2 + 2 * len(BUSY)
    assert 'trader_exchange_retries_total{endpoint="accounts",reason="401"}' in daemon.metrics()
    assert not any(e["event"] == KEY_REJECTED for e in daemon.events())
    assert daemon.stop() == 0


def test_ops2_a_key_refused_while_trading_halts_with_the_reason_in_status_and_metrics(run):
    daemon = run.start_daemon()
    wait_for(lambda: run.own_open(), timeout=60, interval=0.1)
    run.venue.call("POST", "/shock", {"pct": "20"})  # own entries rest below the market
    wait_for(lambda: run.own_open(), timeout=60, interval=0.1)
    rules = _refuse_every_private_request(run)
    status = wait_for(
        lambda: (s := daemon.status())["halt_reason"] == KEY_REJECTED and s, timeout=60
    )
    assert status["state"] == "HALTED" and status["halt_detail"].startswith(REFUSED)
    assert daemon.proc.poll() is None  # halted, watching: never half-alive
    assert run.own_open() > 0  # what it could not cancel with a refused key
    assert f'trader_halts_total{{reason="{KEY_REJECTED}"}} 1.0' in daemon.metrics()
    code, body = daemon.get("/readyz")
    assert code == 503 and KEY_REJECTED.encode() in body
    wait_for(lambda: daemon.status()["halt_cancel"]["last_error"], timeout=15)
    for rule in rules:  # the key works again: the pending cancel-all gets through
        run.venue.call("DELETE", f"/faults/{rule}")
    wait_for(lambda: run.own_open() == 0, timeout=30, interval=0.1)
    wait_for(lambda: not daemon.status()["halt_cancel"]["cancel_pending"], timeout=30)
    time.sleep(2)
    assert daemon.status()["state"] == "HALTED"  # until the operator resumes
    run.resume()
    wait_for(lambda: daemon.status()["state"] == "ACTIVE", timeout=10)
    assert daemon.stop() == 0
