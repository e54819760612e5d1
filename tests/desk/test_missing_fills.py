"""X-4, X-1, X-5, OPS-5: an exit whose fill the venue reports but its fills endpoint never
lists. The real daemon in LIVE against a standalone simulated venue (`trader sim` process)
whose `orders/historical/fills` answers leave out every SELL's fills (the `row_drop`
fault): each exit finishes FILLED at the venue, its position cannot be booked down, and
the exit guard holds the product's next exit back. Past `execution.fills_missing_after_s`
the order is the operator's: named in `/readyz`, counted, logged once, trading REDUCING
(`exit_fills_missing`) — never a balance mismatch halt; when the fills endpoint lists the
fills again, the order leaves `/readyz` and the gauge by itself."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import metric
from tests.support.chaos import ChaosRun
from tests.support.chaos_config import STRATEGY_RULES
from tests.support.daemon import wait_for
from tests.support.venue import merge_yaml

RECONCILE_S = 10
AFTER_S = 5.0
# exits 3 s after their entries: filled before the first periodic reconcile (RECONCILE_S
# after trading starts), which finds them short; the next one is past AFTER_S
HOLD_MINUTES = 0.05
MISSING = "trader_orders_fills_missing"
SELL_FILLS = {
    "kind": "row_drop",
    "path_prefix": "/api/v3/brokerage/orders/historical/fills",
    "rows": "fills",
    "field": "side",
    "value": "SELL",
}


@pytest.fixture
def run(tmp_path):
    chaos = ChaosRun(tmp_path, seed=43)
    merge_yaml(
        chaos.home.config,
        {
            "execution": {
                "reconcile_interval_s": RECONCILE_S,
                "fills_missing_after_s": AFTER_S,
            }
        },
    )
    hold = {"max_hold_minutes": HOLD_MINUTES}
    by_trigger = dict.fromkeys(STRATEGY_RULES["exits_by_trigger"], hold)
    merge_yaml(
        chaos.home.root / "config/strategies.yaml",
        {"rules": {"default_exits": hold, "exits_by_trigger": by_trigger}},
    )
    yield chaos
    chaos.stop()


def _missing_lines(events: list[dict]) -> dict[str, int]:
    """How many `order_fills_missing` lines each order has."""
    counts: dict[str, int] = {}
    for event in events:
        if event["event"] == "order_fills_missing":
            counts[event["order_id"]] = counts.get(event["order_id"], 0) + 1
    return counts


def _reconciles(events: list[dict]) -> int:
    return sum(1 for e in events if e["event"] == "reconciled")


def test_x4_an_exit_whose_fills_never_appear_is_named_reduces_and_clears_when_they_do(run):
    rule = run.venue.call("POST", "/faults", SELL_FILLS)
    daemon = run.start_daemon()
    wait_for(lambda: metric(daemon.metrics(), MISSING) >= 1, timeout=240, interval=0.5)
    code, body = daemon.get("/readyz")
    missing = [e for e in daemon.events() if e["event"] == "order_fills_missing"]
    assert code == 503 and b"fills missing for" in body, (code, body)
    first = missing[0]
    assert first["side"] == "SELL" and first["stored"] == "0", first
    assert first["order_id"].encode() in body and first["product_id"].encode() in body, body
    status = daemon.status()
    assert status["state"] == "REDUCING", status
    assert status["halt_reason"] == "exit_fills_missing", status
    assert first["order_id"] in status["halt_detail"], status
    # one line per order, however many reconciles find its fills still short
    seen = _reconciles(daemon.events())
    wait_for(lambda: _reconciles(daemon.events()) >= seen + 2, timeout=60, interval=0.5)
    assert set(_missing_lines(daemon.events()).values()) == {1}, _missing_lines(daemon.events())
    assert b"fills missing for" in daemon.get("/readyz")[1]
    assert daemon.status()["state"] == "REDUCING"  # never a balance mismatch halt
    # the fills endpoint lists the SELL fills again: the next reconcile stores them
    run.venue.call("DELETE", f"/faults/{rule['id']}")
    wait_for(lambda: metric(daemon.metrics(), MISSING) == 0, timeout=60, interval=0.5)
    assert b"fills missing" not in daemon.get("/readyz")[1]
    stored = {e["order_id"] for e in daemon.events() if e["event"] == "order_fills_stored"}
    assert set(_missing_lines(daemon.events())) <= stored
    assert daemon.status()["state"] == "REDUCING"  # until the operator resumes
    run.resume()
    wait_for(lambda: daemon.status()["state"] == "ACTIVE", timeout=30, interval=0.5)
    assert not [e for e in daemon.events() if e["event"] == "trading_halted"]
    assert "Traceback" not in daemon.output()
    assert daemon.stop() == 0
