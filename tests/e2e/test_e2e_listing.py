"""EX-4, EX-2, OPS-5: products the venue delists, lists again or newly lists while the real
daemon runs. The venue's listing is changed from outside over its control endpoint
(`POST /_sim/products/{id}/listing`): a delisting takes the product out of every route,
silences its WebSocket channels and cancels its working orders.

- LIVE against a standalone `trader sim`, a position held in the product delisted: reported
  once (log line, gauge, `/readyz`), no exit tried, trading not reduced, the other products
  trade on; listed again, it is followed and traded again.
- DRY_RUN on the embedded venue, a product without a position delisted: dropped from the
  market data without the others going stale, `/readyz` stays ready, no 404 storm.
- LIVE, a configured product the venue did not list at start listed while running: named
  once, a restart picks it up.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import yaml

from tests.e2e.helpers import metric, samples, sim_post, venue_root
from tests.support.chaos import ChaosRun
from tests.support.daemon import DaemonDir, DaemonProcess, wait_for
from tests.support.venue import merge_yaml

TRIGGERS = ("price_move_15m", "price_move_60m", "volume_spike", "breakout", "momentum")
HOLD_S = 30
# stops and targets far away; positions leave when their hold runs out, so the products not
# delisted are bought again and again while the delisted one's hold runs out with no exit
HOLD = {"stop_loss_pct": 50, "take_profit_pct": 50, "max_hold_minutes": HOLD_S / 60}


def _events(daemon: DaemonProcess, event: str, product_id: str | None = None) -> list[dict]:
    return [
        e
        for e in daemon.events()
        if e["event"] == event and (product_id is None or e.get("product_id") == product_id)
    ]


def _readiness(daemon: DaemonProcess) -> tuple[int, str]:
    code, body = daemon.get("/readyz")
    return code, body.decode()


def _ages(daemon: DaemonProcess) -> dict[str, float]:
    found = samples(daemon.metrics(), "trader_market_data_age_seconds")
    return {labels["product"]: value for labels, value in found}


@pytest.fixture
def run(tmp_path) -> Iterator[ChaosRun]:
    """LIVE, rules read every 10 s; positions leave only when their 30 s hold runs out (no
    selling on a bearish trigger, stops and targets far away). A product with a position
    takes no new entry: without exits the other products would all be held within seconds
    and nothing could be bought after the delisting."""
    chaos = ChaosRun(tmp_path, seed=43, products=4)
    merge_yaml(chaos.home.config, {"exchange": {"product_rules_interval_s": 10}})
    rules = {
        "sell_on_bearish_trigger": False,
        "default_exits": HOLD,
        "exits_by_trigger": dict.fromkeys(TRIGGERS, HOLD),
    }
    merge_yaml(chaos.home.root / "config" / "strategies.yaml", {"rules": rules})
    yield chaos
    chaos.stop()


def _rows(run: ChaosRun, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(run.home.data / "trader.db", timeout=10) as conn:
        return conn.execute(sql, args).fetchall()


def _held(run: ChaosRun) -> dict[str, Decimal]:
    rows = _rows(run, "SELECT product_id, base_size FROM positions")
    return {pid: Decimal(size) for pid, size in rows if Decimal(size) > 0}


def _opened_at(run: ChaosRun) -> dict[str, float]:
    """When each held position opened."""
    rows = _rows(run, "SELECT product_id, base_size, opened_at FROM positions")
    return {pid: opened for pid, size, opened in rows if Decimal(size) > 0}


def _intents_since(run: ChaosRun, since: float, side: str) -> list[tuple]:
    return _rows(
        run,
        "SELECT product_id, state FROM intents WHERE side = ? AND created_at >= ?",
        side,
        since,
    )


def test_ex4_a_held_product_delisted_is_left_to_the_operator_and_traded_again_when_relisted(
    run,
):
    daemon = run.start_daemon()
    opened = wait_for(lambda: _opened_at(run), timeout=180)
    product_id = max(opened, key=opened.__getitem__)  # the newest: its hold runs out latest
    cancelled = run.venue.call("POST", f"/products/{product_id}/listing", {"listed": False})
    assert cancelled["listed"] is False
    reported = wait_for(
        lambda: _events(daemon, "delisted_position_left", product_id), timeout=60, interval=0.2
    )
    detected = time.time()
    size = _held(run)[product_id]
    assert Decimal(reported[0]["size"]) == size
    assert len(_events(daemon, "product_delisted", product_id)) == 1
    code, body = _readiness(daemon)
    assert code == 503 and f"{product_id} delisted by the venue with {size} held" in body, body
    gauge = metric(daemon.metrics(), "trader_delisted_position", product=product_id)
    assert Decimal(str(gauge)) == size
    # the other products trade on: new entries fill while the position stays untouched,
    # past the end of its hold (an exit due, not tried: the venue takes no order)
    wait_for(
        lambda: [r for r in _intents_since(run, detected, "BUY") if r[1] == "FILLED"],
        timeout=180,  # as the synthetic market's triggers come; a loaded machine is slower
        interval=0.5,
    )
    wait_for(lambda: time.time() > opened[product_id] + HOLD_S + 5, timeout=HOLD_S + 10)
    assert _held(run)[product_id] == size
    assert not [e for e in _events(daemon, "exit_due", product_id) if _at(e) > detected]
    assert daemon.status()["state"] == "ACTIVE"
    assert not [r for r in _intents_since(run, detected, "SELL") if r[0] == product_id]
    assert not [r for r in _intents_since(run, detected, "BUY") if r[0] == product_id]
    assert "market data stale" not in _readiness(daemon)[1]
    assert product_id not in _ages(daemon)
    assert len(_events(daemon, "delisted_position_left", product_id)) == 1
    # listed again: followed, fresh and tradable again; nothing left for the operator
    run.venue.call("POST", f"/products/{product_id}/listing", {"listed": True})
    wait_for(lambda: _events(daemon, "product_relisted", product_id), timeout=60, interval=0.2)
    wait_for(lambda: f"{product_id} delisted" not in _readiness(daemon)[1], timeout=10)
    wait_for(lambda: _ages(daemon).get(product_id, 1e9) < 10, timeout=30, interval=0.2)
    assert "trader_delisted_position{" not in daemon.metrics()
    assert daemon.status()["state"] == "ACTIVE"
    assert daemon.stop() == 0


def test_ex4_a_configured_product_first_listed_while_running_is_named_once_for_a_restart(run):
    new_id = yaml.safe_load(run.home.config.read_text())["exchange"]["products"][-1]
    run.venue.call("POST", f"/products/{new_id}/listing", {"listed": False})
    daemon = run.start_daemon()
    assert new_id not in daemon.status()["trading"]["products"]
    assert _events(daemon, "configured_products_not_listed")
    run.venue.call("POST", f"/products/{new_id}/listing", {"listed": True})
    listed = wait_for(lambda: _events(daemon, "product_listed", new_id), timeout=60, interval=0.2)
    assert "restart" in listed[0]["action"]
    time.sleep(12)  # one more read of the listing: not named again
    assert len(_events(daemon, "product_listed", new_id)) == 1
    assert daemon.status()["state"] == "ACTIVE" and _readiness(daemon)[0] == 200
    assert daemon.stop() == 0
    restarted = run.start_daemon()
    assert new_id in restarted.status()["trading"]["products"]
    assert restarted.stop() == 0


@pytest.fixture
def dry_run(tmp_path) -> Iterator[DaemonProcess]:
    home = DaemonDir(
        tmp_path,
        {
            "sim": {"products": 3},
            "cycle": {"interval_s": 1, "jitter_pct": 0},
            "exchange": {"product_rules_interval_s": 10},
        },
    )
    try:
        daemon = home.start()
        daemon.wait_started(timeout=30)
        wait_for(lambda: "trading" in daemon.status(), timeout=45, interval=0.1)
        wait_for(lambda: daemon.get("/readyz")[0] == 200, timeout=45, interval=0.1)
        yield daemon
        assert daemon.stop() == 0
    finally:
        home.cleanup()


def test_ex4_ex2_a_product_without_a_position_delisted_is_dropped_and_the_others_stay_fresh(
    dry_run,
):
    daemon = dry_run
    venue = venue_root(daemon)
    product_id, *others = daemon.status()["trading"]["products"]
    sim_post(venue, f"products/{product_id}/listing", {"listed": False})
    wait_for(lambda: _events(daemon, "product_delisted", product_id), timeout=60, interval=0.2)
    detected = time.time()
    wait_for(lambda: product_id not in _ages(daemon), timeout=10, interval=0.2)
    cycles = metric(daemon.metrics(), "trader_cycles_total", status="OK")
    time.sleep(12)  # past the data age limit of a silent product, and one more rules read
    ages = _ages(daemon)
    assert product_id not in ages and all(ages[p] < 5 for p in others), ages
    code, body = _readiness(daemon)
    assert code == 200, body
    assert metric(daemon.metrics(), "trader_cycles_total", status="OK") >= cycles + 8
    assert metric(daemon.metrics(), "trader_cycles_total", status="FAILED") == 0
    assert metric(daemon.metrics(), "trader_delisted_position", product=product_id) == 0
    assert not _events(daemon, "delisted_position_left")
    assert len(_events(daemon, "product_delisted", product_id)) == 1
    late = [
        e
        for e in daemon.events()
        if e.get("product", e.get("product_id")) == product_id
        and e["event"] in ("candle_repair_failed", "quote_poll_failed", "product_listing_unknown")
        and _at(e) > detected
    ]
    assert not late, late
    sim_post(venue, f"products/{product_id}/listing", {"listed": True})
    wait_for(lambda: _events(daemon, "product_relisted", product_id), timeout=60, interval=0.2)
    wait_for(lambda: _ages(daemon).get(product_id, 1e9) < 5, timeout=30, interval=0.2)
    assert daemon.get("/readyz")[0] == 200


def _at(event: dict) -> float:
    from datetime import datetime

    return datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()
