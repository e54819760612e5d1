"""OPS-3: SIGTERM cancels the daemon's own open orders within `shutdown.timeout_s`, whatever
the venue answers meanwhile. The real daemon in LIVE against a standalone simulated venue
(`trader sim` process) with its fault control: a cancel refused once (503, or 429 with a
`Retry-After`) is retried; a venue whose list of open orders does not answer still gets
the orders the state file knows cancelled; a venue that refuses every cancel for longer
than the budget leaves one CRITICAL line naming the orders and exit 7, in time."""

from __future__ import annotations

import signal
import time
from datetime import datetime
from typing import Any

import pytest

from tests.support.chaos import ChaosRun
from tests.support.chaos_faults import open_order_ids, stranded_orders
from tests.support.venue import merge_yaml
from trader.commands.exit_codes import EXIT_ORDERS_LEFT

TIMEOUT_S = 4.0  # shutdown.timeout_s: the cancel-all has half of it
CANCELS = "/api/v3/brokerage/orders/batch_cancel"
ORDER_LIST = "/api/v3/brokerage/orders/historical/batch"
MARGIN_S = 2.0  # process exit and interpreter teardown, on a loaded machine


@pytest.fixture
def run(tmp_path):
    chaos = ChaosRun(tmp_path, seed=37)
    merge_yaml(
        chaos.home.config,
        {"execution": {"entry_ttl_s": 60}, "shutdown": {"timeout_s": TIMEOUT_S}},
    )
    yield chaos
    chaos.stop()


def _stop_with(run: ChaosRun, fault: dict[str, Any]) -> tuple[set[str], int, float]:
    """Orders resting, then `fault`, then SIGTERM: the orders, the exit code, the seconds
    the stop took."""
    daemon = run.start_daemon()
    resting = stranded_orders(run)
    run.venue.call("POST", "/faults", fault)
    signalled = time.monotonic()
    daemon.signal(signal.SIGTERM)
    code = daemon.wait(timeout=TIMEOUT_S + 10)
    return resting, code, time.monotonic() - signalled


def _statuses(run: ChaosRun, order_ids: set[str]) -> set[str]:
    ledger = run.venue.call("GET", "/ledger")["orders"]
    return {o["status"] for o in ledger if o["order_id"] in order_ids}


def _events(run: ChaosRun, name: str) -> list[dict[str, Any]]:
    assert run.daemon is not None
    return [e for e in run.daemon.events() if e.get("event") == name]


def _at(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["timestamp"]).timestamp()


def _fired(run: ChaosRun, kind: str) -> int:
    return int(run.venue.call("GET", "/faults")["counts"].get(kind, 0))


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "http_5xx", "status": 503},
        {"kind": "http_5xx", "status": 500},
        {"kind": "http_429"},
        {"kind": "http_429", "body": "html"},
    ],
    ids=["503", "500", "429", "429-html"],
)
def test_ops3_a_cancel_refused_once_at_stop_is_retried_and_the_orders_cancelled(run, fault):
    resting, code, _ = _stop_with(run, {**fault, "count": 1, "path_prefix": CANCELS})
    assert not open_order_ids(run) and _statuses(run, resting) <= {"CANCELLED", "FILLED"}
    assert code == 0, run.daemon.output()[-3000:]
    assert _fired(run, fault["kind"]) == 1
    assert _events(run, "shutdown_cancel_all_retry"), "the refused cancel was not retried"
    assert not _events(run, "shutdown_orders_left_open")


def test_ops3_a_retry_after_at_stop_is_waited_before_the_cancel_is_sent_again(run):
    fault = {"kind": "http_429", "count": 1, "path_prefix": CANCELS, "retry_after_s": 1}
    resting, code, _ = _stop_with(run, fault)
    assert code == 0, run.daemon.output()[-3000:]
    (retry,) = _events(run, "shutdown_cancel_all_retry")
    assert retry["retry_in_s"] >= 1.0
    (done,) = _events(run, "cancel_all_done")
    assert _at(done) - _at(retry) >= 1.0
    assert not open_order_ids(run) and _statuses(run, resting) <= {"CANCELLED", "FILLED"}


@pytest.mark.parametrize(
    "hang",
    [
        {"kind": "latency", "latency_ms": 60_000},
        {"kind": "timeout_after_accept", "mode": "hold", "hold_s": 60},
        {"kind": "http_5xx", "status": 503},
    ],
    ids=["no-answer", "answer-held", "refused"],
)
def test_ops3_known_orders_are_cancelled_when_the_venue_cannot_list_its_open_orders(run, hang):
    resting, code, seconds = _stop_with(run, {**hang, "path_prefix": ORDER_LIST, "method": "GET"})
    assert code == 0, run.daemon.output()[-3000:]
    assert not open_order_ids(run) and _statuses(run, resting) <= {"CANCELLED", "FILLED"}
    assert _events(run, "cancel_all_list_failed")
    assert seconds < TIMEOUT_S + MARGIN_S


def test_ops3_cancels_refused_past_the_budget_name_the_orders_left_and_exit_7(run):
    resting, code, seconds = _stop_with(
        run, {"kind": "http_5xx", "status": 503, "path_prefix": CANCELS}
    )
    assert code == EXIT_ORDERS_LEFT, run.daemon.output()[-3000:]
    assert seconds < TIMEOUT_S + MARGIN_S
    left = open_order_ids(run)
    assert resting & left, "nothing rested through the refused cancels"
    (critical,) = [e for e in run.daemon.events() if e.get("level") == "critical"]
    assert critical["event"] == "shutdown_orders_left_open"
    named = {o["order_id"]: o["product_id"] for o in critical["orders"]}
    ledger = {o["order_id"]: o["product_id"] for o in run.venue.call("GET", "/ledger")["orders"]}
    assert left <= set(named) and all(named[i] == ledger[i] for i in left)
    assert critical["count"] == len(critical["orders"])
    assert "503" in critical["last_error"]
    (stopped,) = _events(run, "daemon_stopped")
    assert stopped["exit_code"] == EXIT_ORDERS_LEFT
