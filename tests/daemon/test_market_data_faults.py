"""EX-2, OPS-3, OPS-4: market data the venue should never send. The real daemon in LIVE
against a standalone simulated venue (`trader sim` process) whose WebSocket frames are
edited by its `ws_edit` fault: `market_trades` frames of 100 000 trades each (the work
one frame may cost the loop is bounded: `/status`, the kill switch and SIGTERM stay
responsive, the stop ends within its budget), and tickers whose best bid is above their
best ask (refused, counted, named once per product, no entry placed on them)."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime

import pytest

from tests.support.chaos import ChaosRun
from tests.support.daemon import wait_for
from tests.support.venue import merge_yaml

MARKET = "/api/v3/brokerage/market"
STOP_BUDGET_S = 10.0  # OPS-3: SIGTERM → exit within 10 s (README, systemd unit)


@pytest.fixture
def run(tmp_path):
    chaos = ChaosRun(tmp_path, seed=41, products=4)
    yield chaos
    chaos.stop()


def _events(daemon, name: str) -> list[dict]:
    return [e for e in daemon.events() if e.get("event") == name]


def _counted(daemon, kind: str) -> float:
    prefix = f'trader_venue_data_errors_total{{kind="{kind}"}} '
    for line in daemon.metrics().splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0


def test_ex2_a_flood_of_huge_trade_frames_is_refused_and_the_daemon_stays_responsive(run):
    daemon = run.start_daemon()
    run.venue.call(
        "POST",
        "/faults",
        {"kind": "ws_edit", "channel": "market_trades", "rows": "trades", "repeat": 100_000},
    )
    wait_for(lambda: _counted(daemon, "oversized_frame") >= 3, timeout=120, interval=0.5)
    for _ in range(5):  # /status answers under the flood, again and again
        assert daemon.status()["state"] == "ACTIVE"
    oversized = _events(daemon, "ws_frame_oversized")
    assert len(oversized) == 1 and oversized[0]["channel"] == "market_trades"
    assert "more than 5000" in oversized[0]["problem"]
    assert _events(daemon, "ws_sequence_gap")  # the stream resynced in the frames' place
    run.home.kill_switch.touch()
    wait_for(lambda: daemon.status()["state"] == "HALTED", timeout=5, interval=0.05)
    assert daemon.status()["halt_reason"] == "kill_switch"
    signalled = time.monotonic()
    daemon.signal(signal.SIGTERM)
    code = daemon.wait(timeout=STOP_BUDGET_S + 20)
    seconds = time.monotonic() - signalled
    assert code == 0, daemon.output()[-3000:]
    assert seconds < STOP_BUDGET_S, f"the stop took {seconds:.1f} s under the flood"
    assert not _events(daemon, "component_failed")


def _entries_since(run: ChaosRun, after: set[str]) -> list[dict]:
    orders = run.venue.call("GET", "/ledger")["orders"]
    return [o for o in orders if o["order_id"] not in after and o["side"] == "BUY"]


def test_ex2_a_crossed_ticker_is_refused_counted_named_once_and_never_traded_on(run):
    daemon = run.start_daemon()
    run.venue.call(
        "POST",
        "/faults",
        {"kind": "ws_edit", "channel": "ticker", "rows": "tickers", "field": "best_bid",
         "value": "99999999"},
    )  # fmt: skip
    wait_for(lambda: _counted(daemon, "crossed_touch") >= 10, timeout=60, interval=0.5)
    before = {o["order_id"] for o in run.venue.call("GET", "/ledger")["orders"]}
    cycles = len(_events(daemon, "cycle_done"))
    wait_for(lambda: len(_events(daemon, "cycle_done")) >= cycles + 5, timeout=60, interval=0.5)
    assert not _entries_since(run, before), "an entry was placed on a crossed touch"
    named = _events(daemon, "market_data_crossed_touch")
    products = [e["product"] for e in named]
    assert named and len(products) == len(set(products))  # once per product
    status = daemon.status()
    assert status["state"] == "ACTIVE", status.get("halt_detail")
    assert daemon.stop() == 0


HOUR_S = 3600


def _breakouts(daemon, product_id: str) -> list[dict]:
    return [
        e for e in _events(daemon, "proposal")
        if e.get("product_id") == product_id and "breakout" in str(e.get("reason"))
    ]  # fmt: skip


def test_ex2_hours_missing_from_the_venues_candles_restart_the_products_windows(run):
    """The venue's candles of one product lack four hours (`row_drop_range`, asked again
    too): named once, counted, and its breakout window starts again after the hole, so a
    20 % jump of its price against the day before the hole fires nothing; a product with
    whole candles and the same jump fires (the daemon stays ready for the others)."""
    gapped, whole = [p["product_id"] for p in run._products()][:2]
    merge_yaml(
        run.home.root / "config" / "signals.yaml",
        {
            "price_move": {"enabled": False},
            "volume_spike": {"enabled": False},
            "momentum": {"enabled": False},
            "breakout": {"enabled": True, "lookback_hours": 12},
        },
    )
    now = int(time.time()) // 60 * 60
    hole = (now - 5 * HOUR_S, now - HOUR_S)
    run.venue.call(
        "POST",
        "/faults",
        {"kind": "row_drop_range", "path_prefix": f"{MARKET}/products/{gapped}/candles",
         "rows": "candles", "field": "start", "low": hole[0], "high": hole[1]},
    )  # fmt: skip
    for product_id in (gapped, whole):
        run.venue.call("POST", "/shock", {"pct": "20", "product_id": product_id})
    daemon = run.start_daemon()
    wait_for(lambda: _breakouts(daemon, whole), timeout=120, interval=0.5)
    named = _events(daemon, "market_data_candles_missing")
    assert [e["product"] for e in named] == [gapped]
    assert named[0]["minutes"] == 240 and named[0]["start"].startswith(_utc_minute(hole[0]))
    assert _counted(daemon, "missing_candles") == 1.0
    assert not _breakouts(daemon, gapped), "a breakout fired across the venue's missing hours"
    assert daemon.status()["state"] == "ACTIVE"
    assert daemon.stop() == 0


def _utc_minute(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")
