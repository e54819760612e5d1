"""X-4, R-5, EX-1: venue answers that are well-formed JSON but wrong. The real daemon in
LIVE against a standalone simulated venue (`trader sim` process) whose answers are edited
by its `row_edit` fault: a fill of negative size, a negative balance."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from tests.support.chaos import ChaosRun
from tests.support.daemon import wait_for
from tests.support.venue import merge_yaml

FILLS = "/api/v3/brokerage/orders/historical/fills"
ACCOUNTS = "/api/v3/brokerage/accounts"


@pytest.fixture
def run(tmp_path):
    chaos = ChaosRun(tmp_path, seed=37)
    merge_yaml(chaos.home.config, {"execution": {"reconcile_interval_s": 10}})
    yield chaos
    chaos.stop()


def _fill_sizes(run: ChaosRun) -> dict[str, Decimal]:
    with sqlite3.connect(run.home.data / "trader.db", timeout=10) as conn:
        rows = conn.execute("SELECT trade_id, size FROM fills").fetchall()
    return {trade_id: Decimal(size) for trade_id, size in rows}


def _events(daemon, name: str) -> list[dict]:
    return [e for e in daemon.events() if e["event"] == name]


def test_x4_a_fill_of_negative_size_is_refused_said_once_and_booked_when_read_right(run):
    daemon = run.start_daemon()
    rule = run.venue.call(
        "POST",
        "/faults",
        {"kind": "row_edit", "path_prefix": FILLS, "rows": "fills", "field": "size", "value": "-1"},
    )
    wait_for(lambda: _events(daemon, "exchange_fill_refused"), timeout=150, interval=0.5)
    run.venue.call("DELETE", f"/faults/{rule['id']}")
    refused = _events(daemon, "exchange_fill_refused")
    trade_id = refused[0]["trade_id"]
    assert refused[0]["endpoint"] == "fills" and refused[0]["field"].endswith("].size")
    assert len({e["trade_id"] for e in refused}) == len(refused)  # one line per trade id
    assert all(size > 0 for size in _fill_sizes(run).values())
    assert 'trader_venue_data_errors_total{kind="malformed_fill"}' in daemon.metrics()
    # read right again, the same trade is booked at its real size (the sync goes on)
    wait_for(lambda: trade_id in _fill_sizes(run), timeout=60, interval=0.5)
    assert all(size > 0 for size in _fill_sizes(run).values())
    venue_fills = {
        f["trade_id"]: Decimal(f["size"]) for f in run.venue.call("GET", "/fills")["fills"]
    }
    assert _fill_sizes(run)[trade_id] == venue_fills[trade_id]
    status = daemon.status()
    assert status["state"] == "ACTIVE", status.get("halt_detail")
    assert not _events(daemon, "component_failed")
    assert daemon.stop() == 0


def test_x4_a_fill_larger_than_its_order_halts_venue_data_error_and_is_not_booked(run):
    daemon = run.start_daemon()
    rule = run.venue.call(
        "POST",
        "/faults",
        {
            "kind": "row_edit",
            "path_prefix": FILLS,
            "rows": "fills",
            "field": "size",
            "value": "1e9",
        },
    )
    wait_for(lambda: daemon.status()["state"] == "HALTED", timeout=150, interval=0.5)
    run.venue.call("DELETE", f"/faults/{rule['id']}")
    status = daemon.status()
    assert status["halt_reason"] == "venue_data_error", status
    refused = _events(daemon, "venue_fill_refused")
    assert refused and "of an order for" in refused[0]["problem"]
    assert len({e["trade_id"] for e in refused}) == len(refused)
    counted = f'trader_venue_data_errors_total{{kind="fill_contradicts_order"}} {len(refused)}.0'
    assert counted in daemon.metrics()
    assert all(size < Decimal("1e9") for size in _fill_sizes(run).values())
    wait_for(lambda: refused[0]["trade_id"] in _fill_sizes(run), timeout=60, interval=0.5)
    assert not _events(daemon, "component_failed")
    assert daemon.stop() == 0


def test_r5_a_negative_balance_makes_balances_unknown_not_a_loss(run):
    merge_yaml(run.home.config, {"execution": {"balance_max_age_s": 2}})
    daemon = run.start_daemon()
    wait_for(lambda: daemon.status()["trading"]["balances"]["known"], timeout=60)
    rule = run.venue.call(
        "POST",
        "/faults",
        {
            "kind": "row_edit",
            "path_prefix": ACCOUNTS,
            "rows": "accounts",
            "field": "available_balance.value",
            "value": "-50000",
        },
    )
    wait_for(lambda: not daemon.status()["trading"]["balances"]["known"], timeout=60, interval=0.5)
    malformed = _events(daemon, "exchange_malformed_payload")
    assert malformed and malformed[-1]["field"] == "accounts[0].available_balance.value"
    assert "is negative" in malformed[-1]["error"]
    status = daemon.status()
    assert status["state"] == "ACTIVE", status.get("halt_detail")
    run.venue.call("DELETE", f"/faults/{rule['id']}")
    wait_for(lambda: daemon.status()["trading"]["balances"]["known"], timeout=30)
    assert daemon.status()["state"] == "ACTIVE"
    assert daemon.stop() == 0


CANDLES = "/api/v3/brokerage/market/products/"
NOT_CANDLES = [("low", "0"), ("close", "1e400"), ("high", "-1"), ("start", "1795905845")]


def _stored_candles(run: ChaosRun) -> list[tuple[str, ...]]:
    with sqlite3.connect(run.home.data / "trader.db", timeout=10) as conn:
        return conn.execute("SELECT start, open, high, low, close, volume FROM candles").fetchall()


@pytest.mark.parametrize(("field", "value"), NOT_CANDLES, ids=repr)
def test_s1_a_venue_candle_that_cannot_be_true_is_refused_counted_never_stored(run, field, value):
    """Every candle answer's first row broken (a zero low, a price beyond 1e20, a negative
    high, a start off the minute grid): the daemon refuses those answers, says so, counts
    them, and neither stores nor feeds a piece of them (was: stored and recorded, or a
    traceback for every later candle)."""
    run.venue.call(
        "POST",
        "/faults",
        {"kind": "row_edit", "path_prefix": CANDLES, "rows": "candles", "field": field,
         "value": value},
    )  # fmt: skip
    daemon = run.start_daemon()
    wait_for(
        lambda: 'trader_venue_data_errors_total{kind="malformed_candle"}' in daemon.metrics(),
        timeout=60,
        interval=0.5,
    )
    malformed = _events(daemon, "exchange_malformed_payload")
    assert malformed and malformed[0]["endpoint"] == "candles"
    assert malformed[0]["field"].split(".", 1)[1].startswith("candles[0]")
    assert len({e["error"] for e in malformed}) == len(malformed)  # each problem said once
    for start, *figures in _stored_candles(run):
        o, h, lo, c, volume = map(Decimal, figures)
        assert start % 60 == 0 and 0 < lo <= min(o, c) <= max(o, c) <= h < Decimal("1e20")
        assert volume >= 0, start
    assert not _events(daemon, "candle_listener_failed")
    assert "Traceback" not in daemon.output()
    assert daemon.status()["state"] == "ACTIVE"
    assert daemon.stop() == 0
