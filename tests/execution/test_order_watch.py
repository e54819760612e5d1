"""EX-2, X-4, X-5: a user channel that stays connected but delivers no order events. The
real daemon in LIVE against a standalone simulated venue (`trader sim` process) whose
user-channel frames are sent in sequence with `events: []` (the `ws_empty` fault):
heartbeats and sequence numbers intact, nothing said about any order. Own working orders
the channel is quiet about are read over REST within `execution.user_channel_silence_s`;
a change found that way is counted, `/readyz` names the channel, and the orders and
positions follow the venue long before the periodic reconcile. The channel is no longer
named once the reopened channel has gone the silence bound with no change missed and every
working order read back unchanged — with no order working, as soon as that bound is over."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from tests.e2e.helpers import metric
from tests.support.chaos import ChaosRun
from tests.support.chaos_audit import _balance_problems, _order_problems, stored
from tests.support.daemon import DaemonProcess, wait_for
from tests.support.venue import merge_yaml

SILENCE_S = 4.0
MARGIN_S = 4.0  # a watch pass a second, a REST read, the fills synced, a loaded machine
MISSED = "trader_user_channel_missed_events_total"
READS = "trader_user_channel_order_reads_total"


@pytest.fixture
def run(tmp_path):
    chaos = ChaosRun(tmp_path, seed=41)
    # the periodic reconcile far off: only the silence watch can bring the state back
    merge_yaml(
        chaos.home.config,
        {"execution": {"reconcile_interval_s": 3600, "user_channel_silence_s": SILENCE_S}},
    )
    yield chaos
    chaos.stop()


def _differences(run: ChaosRun) -> list[str]:
    """Where the daemon's SQLite (intents, fills, positions) differs from the venue."""
    audit: dict[str, Any] = {
        "ledger": run.venue.call("GET", "/ledger")["orders"],
        "balances": {
            b["currency"]: Decimal(b["available"]) + Decimal(b["hold"])
            for b in run.venue.call("GET", "/balances")["balances"]
        },
    }
    with sqlite3.connect(run.state_path, timeout=10) as conn:
        audit.update(stored(conn))
    return _order_problems(audit) + _balance_problems(audit)


def _filled_orders(run: ChaosRun, side: str = "") -> int:
    return sum(
        1
        for o in run.venue.call("GET", "/ledger")["orders"]
        if o["status"] == "FILLED" and side in ("", o["side"])
    )


def _booked_after_fill(run: ChaosRun, since: float) -> list[float]:
    """For every order the venue filled (its last fill after `since`): seconds from that
    fill to the daemon's SQLite row saying FILLED."""
    last_fill: dict[str, float] = {}
    for fill in run.venue.call("GET", "/fills")["fills"]:
        at = _seconds(fill["trade_time"])
        last_fill[fill["order_id"]] = max(at, last_fill.get(fill["order_id"], at))
    with sqlite3.connect(run.state_path, timeout=10) as conn:
        rows = conn.execute("SELECT order_id, updated_at FROM orders WHERE status = 'FILLED'")
        booked = dict(rows.fetchall())
    return [
        booked[order_id] - at
        for order_id, at in last_fill.items()
        if at > since and order_id in booked
    ]


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _episodes(events: list[dict[str, Any]]) -> list[str]:
    """The user channel's episode lines in order: `behind` and `caught_up`."""
    names = {"user_channel_behind": "behind", "user_channel_caught_up": "caught_up"}
    return [names[e["event"]] for e in events if e["event"] in names]


def test_ex2_a_silent_user_channel_is_caught_by_rest_reads_and_named_in_readyz(run):
    run.venue.call("POST", "/faults", {"kind": "ws_empty", "channel": "user"})
    daemon = run.start_daemon()
    wait_for(lambda: metric(daemon.metrics(), MISSED) > 0, timeout=180, interval=0.5)
    code, body = daemon.get("/readyz")
    assert code == 503 and b"user channel behind" in body, (code, body)
    behind = [e for e in daemon.events() if e["event"] == "user_channel_behind"]
    assert len(behind) == 1, behind  # one line per episode, however many reads find changes
    assert any(
        e["event"] == "ws_reconnect" or (e["event"] == "user_stream" and e.get("state") == "up")
        for e in daemon.events()
        if _seconds(e.get("timestamp", "1970-01-01T00:00:00Z")) >= _seconds(behind[0]["timestamp"])
    ), "the user channel is opened again"
    # entries and exits go on: every order the venue finished is finished in SQLite, its
    # fills booked, positions as the venue holds them (the reconcile is an hour away), each
    # within the bound (and a margin) of its last fill
    wait_for(lambda: _filled_orders(run, "SELL") >= 2, timeout=180, interval=0.5)
    wait_for(lambda: not _differences(run), timeout=120, interval=0.5)
    late = _booked_after_fill(run, _seconds(behind[0]["timestamp"]))
    assert late and max(late) <= SILENCE_S + MARGIN_S, late
    assert metric(daemon.metrics(), READS) > 0
    # one line per episode: an episode ends (a quiet spell proved nothing missed) before
    # the next begins
    episodes = _episodes(daemon.events())
    assert episodes[0] == "behind", episodes
    assert all(a != b for a, b in pairwise(episodes)), episodes
    status = daemon.status()
    assert status["state"] == "ACTIVE", status.get("halt_detail")
    assert not [e for e in daemon.events() if e["event"] == "reconciled" and not e["startup"]]
    assert daemon.stop() == 0


def test_ex2_a_healthy_user_channel_makes_no_rest_reads(run):
    daemon = run.start_daemon()
    wait_for(lambda: _filled_orders(run, "SELL") >= 2, timeout=180, interval=0.5)
    wait_for(lambda: not _differences(run), timeout=60, interval=0.5)
    text = daemon.metrics()
    assert metric(text, MISSED) == 0 and metric(text, READS) == 0, text
    assert daemon.get("/readyz")[0] == 200
    assert daemon.status()["components"]["order_watch"]["policy"] == "restart"
    assert not [e for e in daemon.events() if e["event"] == "user_channel_behind"]
    assert daemon.stop() == 0


def test_ex2_user_channel_behind_clears_when_the_reopened_channel_misses_nothing(run):
    """Still silent (`ws_empty` stays), but with nothing working: the reopened channel,
    subscribed and never dropped, goes the silence bound with no change missed — `/readyz`
    stops naming it though the channel never delivers an order event again."""
    run.venue.call("POST", "/faults", {"kind": "ws_empty", "channel": "user"})
    daemon = run.start_daemon()
    wait_for(lambda: metric(daemon.metrics(), MISSED) > 0, timeout=180, interval=0.5)
    assert b"user channel behind" in daemon.get("/readyz")[1]
    run.home.kill_switch.touch()  # HALTED: the own orders cancelled, nothing new sent
    wait_for(lambda: daemon.status()["state"] == "HALTED", timeout=10, interval=0.2)
    wait_for(
        lambda: b"user channel behind" not in daemon.get("/readyz")[1],
        timeout=SILENCE_S * 3 + 30,
        interval=0.5,
    )
    code, body = daemon.get("/readyz")
    assert code == 503 and b"halted: kill_switch" in body, (code, body)
    ended = [e for e in daemon.events() if e["event"] == "user_channel_caught_up"]
    assert ended and ended[-1]["how"] == "no change missed since the channel reopened", ended
    assert ended[-1]["quiet_s"] >= SILENCE_S
    assert _episodes(daemon.events())[-1] == "caught_up"
    assert daemon.stop() == 0


GET_ORDER = "/api/v3/brokerage/orders/historical/{order_id}"


def _order_read_retries(daemon: DaemonProcess) -> list[dict[str, Any]]:
    return [
        e
        for e in daemon.events()
        if e["event"] == "exchange_retry" and e.get("endpoint") == "get_order"
    ]


def _asked_again(daemon: DaemonProcess, failed_at: float) -> bool:
    """Whether a single-order read begun the silence bound after `failed_at` has ended: the
    watch reads one order after another, so a second read begun since (its first retry
    logged) means the first is over."""
    begun = [
        e
        for e in _order_read_retries(daemon)
        if e["attempt"] == 1 and _seconds(e["timestamp"]) >= failed_at + SILENCE_S
    ]
    return len(begun) >= 2


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "http_5xx", "status": 503},
        {"kind": "http_429"},
        {"kind": "timeout_after_accept", "hold_s": 3.0},  # past the 1.5 s request timeout
    ],
    ids=["5xx", "429", "timeout"],
)
def test_ex2_a_failing_order_read_is_retried_logged_once_and_marks_nothing(run, fault):
    """The single-order status alone fails (the order list and the fills answer): each read
    is retried with backoff, then asked again after the bound; one line without a
    traceback says so, and nothing is counted missed, named behind or changed by it."""
    run.venue.call("POST", "/faults", {"kind": "ws_empty", "channel": "user"})
    rule = run.venue.call("POST", "/faults", {**fault, "route": GET_ORDER, "method": "GET"})
    daemon = run.start_daemon()

    def failed() -> list[dict[str, Any]]:
        return [e for e in daemon.events() if e["event"] == "silent_order_read_failed"]

    failed_at = _seconds(wait_for(failed, timeout=180, interval=0.5)[0]["timestamp"])
    # the failing orders are asked again after the bound, one such read to its end — or the
    # bound twice over and a margin have passed (a read timing out at every attempt is long)
    given_up = time.monotonic() + SILENCE_S * 2 + MARGIN_S
    wait_for(
        lambda: _asked_again(daemon, failed_at) or time.monotonic() > given_up,
        timeout=SILENCE_S * 2 + MARGIN_S + 5,
        interval=0.2,
    )
    retries = _order_read_retries(daemon)
    # full jitter: each delay is drawn from [0, cap), so one may round to 0.0
    assert retries and all(e["delay_s"] >= 0 for e in retries), retries
    assert any(e["delay_s"] > 0 for e in retries), retries
    faulted = run.venue.call("GET", "/faults")["counts"][fault["kind"]]
    assert faulted > len(failed()), faulted  # retried, and asked again after the bound
    assert len(failed()) == 1, failed()  # one line until a read works again
    text = daemon.metrics()
    assert metric(text, MISSED) == 0 and metric(text, READS) == 0, text
    code, body = daemon.get("/readyz")
    assert b"user channel behind" not in body, (code, body)
    assert daemon.status()["state"] == "ACTIVE"
    assert "Traceback" not in daemon.output()
    # the reads answer again: the watch goes on where it was and finds what it missed
    run.venue.call("DELETE", f"/faults/{rule['id']}")
    wait_for(lambda: metric(daemon.metrics(), MISSED) > 0, timeout=120, interval=0.5)
    assert [e for e in daemon.events() if e["event"] == "silent_order_reads_work_again"]
    assert daemon.stop() == 0
