"""X-1, X-2, X-4, ST-3: one exit in flight per position, and the user's own coins are never
sold. The real daemon in LIVE against a standalone simulated venue whose account holds coins
of every traded product outside the daemon (`trader adopt` records them as such), with the
REST fill endpoint answering a second late: the user channel reports an IOC exit FILLED a
second before its fills are stored, and the exits run again meanwhile (R-2)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.chaos import ChaosRun
from tests.support.daemon import wait_for
from tests.support.venue import merge_yaml

FILLS_PATH = "/api/v3/brokerage/orders/historical/fills"
OUTSIDE = {
    "BTC": "1",
    "ETH": "10",
    "SOL": "100",
    "XRP": "100000",
    "DOGE": "1000000",
    "ADA": "100000",
    "AVAX": "1000",
    "LINK": "1000",
}
EXITS_BOOKED = 3  # exits filled and booked before the daemon is stopped


@pytest.fixture
def run(tmp_path: Path):
    chaos = ChaosRun(tmp_path, seed=7, balances=OUTSIDE)
    # positions small enough for an exit to fill at the touch: the user channel then
    # reports it FILLED in one update, before the fills are read; the exits run ten times
    # in the second the fill endpoint takes to answer
    merge_yaml(chaos.home.root / "config" / "policy.yaml", {"max_position_pct": 0.1})
    merge_yaml(chaos.home.config, {"execution": {"exit_check_interval_s": 0.1}})
    yield chaos
    chaos.stop()


def _rows(run: ChaosRun, sql: str) -> list[tuple]:
    with sqlite3.connect(run.state_path, timeout=10) as conn:
        return conn.execute(sql).fetchall()


def _booked_exits(run: ChaosRun) -> int:
    """SELL intents that filled, with every fill their order reported stored."""
    rows = _rows(
        run,
        "SELECT i.filled_size, (SELECT group_concat(f.size, ' ') FROM fills f "
        "WHERE f.order_id = i.exchange_order_id) FROM intents i "
        "WHERE i.side = 'SELL' AND i.state = 'FILLED'",
    )
    return sum(1 for filled, sizes in rows if sizes and _total(sizes) >= Decimal(filled))


def _total(sizes: str | None) -> Decimal:
    return sum((Decimal(s) for s in (sizes or "").split()), Decimal(0))


def _sent_sells(run: ChaosRun) -> list[tuple]:
    """(intent, product, sent at, base size, filled size, stored fill sizes, latest fill
    stored at) of every SELL that left, in the order they were sent."""
    return _rows(
        run,
        "SELECT i.intent_id, i.product_id, i.submitted_at, i.base_size, i.filled_size, "
        "(SELECT group_concat(f.size, ' ') FROM fills f WHERE f.order_id = i.exchange_order_id), "
        "(SELECT MAX(f.recorded_at) FROM fills f WHERE f.order_id = i.exchange_order_id) "
        "FROM intents i WHERE i.side = 'SELL' AND i.submitted_at IS NOT NULL "
        "ORDER BY i.submitted_at",
    )


def _venue_totals(run: ChaosRun) -> dict[str, Decimal]:
    return {
        row["currency"]: Decimal(row["available"]) + Decimal(row["hold"])
        for row in run.venue.call("GET", "/balances")["balances"]
    }


def test_x2_an_exit_whose_fills_are_not_yet_stored_blocks_a_second_and_outside_coins_stay(run):
    daemon = run.start_daemon()  # adoption first: the account holds coins no state explains
    rule = {"kind": "latency", "latency_ms": 1000, "path_prefix": FILLS_PATH}
    run.venue.call("POST", "/faults", rule)
    wait_for(lambda: _booked_exits(run) >= EXITS_BOOKED, timeout=240, interval=0.5)
    run.venue.call("DELETE", "/faults")
    assert daemon.stop() == 0  # cancel-all and the final fill sync: the books are settled

    # the window was there: exits reported FILLED before their fills were stored
    events = daemon.events()
    sells = {row[0] for row in _sent_sells(run)}
    reported = {e["intent_id"]: i for i, e in enumerate(events) if e.get("state") == "FILLED"}
    stored = {e.get("intent_id"): i for i, e in enumerate(events) if e["event"] == "fill"}
    late = [i for i, at in reported.items() if i in sells and stored.get(i, -1) > at]
    assert late, "no exit was reported FILLED before its fills were stored"

    # one exit in flight per product: each SELL left only after the previous one's fills
    # were all stored
    last: dict[str, tuple] = {}
    for sell in _sent_sells(run):
        _, product_id, sent_at, _, _, _, _ = sell
        before = last.get(product_id)
        if before is not None:
            _, _, _, _, filled, sizes, stored_at = before
            assert _total(sizes) >= Decimal(filled), (before, sell)
            assert stored_at is None or stored_at <= sent_at, (before, sell)
        last[product_id] = sell
    assert last, "no exit was sent"

    # the user's own coins are untouched: the venue holds them plus the daemon's positions
    venue = _venue_totals(run)
    positions = _rows(run, "SELECT product_id, base_size FROM positions")
    held = {pid.split("-")[0]: Decimal(size) for pid, size in positions}
    for currency, outside in OUTSIDE.items():
        own = held.get(currency, Decimal(0))
        assert own >= 0, (currency, own)
        assert venue.get(currency, Decimal(0)) == Decimal(outside) + own, currency
