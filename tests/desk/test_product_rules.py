"""EX-4, R-2: the venue's product rules change while a position is held, and exits the
venue keeps refusing. The real daemon in LIVE against a standalone simulated venue (`trader
sim` process); the venue's rules are changed and its order endpoint made to refuse from
outside, over its control API."""

from __future__ import annotations

import itertools
import sqlite3
import time
from decimal import Decimal

import pytest

from tests.support.chaos import ChaosRun
from tests.support.daemon import wait_for
from tests.support.venue import merge_yaml

ORDERS = "/api/v3/brokerage/orders"


@pytest.fixture
def run(tmp_path):
    chaos = ChaosRun(tmp_path, seed=41)
    # read at start only unless refused: the refusal is what makes the daemon read them again
    merge_yaml(chaos.home.config, {"exchange": {"product_rules_interval_s": 86400}})
    yield chaos
    chaos.stop()


def _rows(run: ChaosRun, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(run.home.data / "trader.db", timeout=10) as conn:
        return conn.execute(sql, args).fetchall()


def _held(run: ChaosRun) -> list[tuple[str, Decimal]]:
    rows = _rows(run, "SELECT product_id, base_size FROM positions")
    return [(pid, Decimal(size)) for pid, size in rows if Decimal(size) > 0]


def _coarser(size: Decimal) -> Decimal:
    """A base increment the held size is not a multiple of: its second significant digit."""
    return Decimal(format(Decimal(1).scaleb(size.adjusted() - 1), "f"))


def _exits(run: ChaosRun, product_id: str, since: float) -> list[tuple]:
    return _rows(
        run,
        "SELECT state, base_size, reject_reason, created_at FROM intents"
        " WHERE product_id = ? AND side = 'SELL' AND created_at >= ? ORDER BY created_at",
        product_id,
        since,
    )


def test_ex4_a_coarser_increment_at_the_venue_is_read_again_and_the_exit_goes_through(run):
    daemon = run.start_daemon()
    held = wait_for(lambda: [(p, s) for p, s in _held(run) if s % _coarser(s) != 0], timeout=120)
    product_id, size = held[0]
    increment = _coarser(size)
    changed_at = time.time()
    run.venue.call("POST", f"/products/{product_id}/rules", {"base_increment": str(increment)})

    def filled_on_the_new_grid() -> list[tuple]:
        return [
            e
            for e in _exits(run, product_id, changed_at)
            if e[0] == "FILLED" and Decimal(e[1]) % increment == 0
        ]

    wait_for(filled_on_the_new_grid, timeout=90, interval=0.2)
    # log lines are written by a listener thread: they may land a moment after the order
    changes = wait_for(lambda: _logged(daemon, "product_rules_changed"), timeout=10)
    assert changes[0]["product_id"] == product_id
    assert changes[0]["base_increment"].endswith(f"-> {increment}")
    # exits sized on the old grid were refused (one; two when reading the rules took longer
    # than the 2 s backoff), none on the new grid; never one per exit check
    refused = [e for e in _exits(run, product_id, changed_at) if e[0] == "REJECTED"]
    assert len(refused) <= 2, refused
    assert all("product_rules" in (e[2] or "") for e in refused)
    assert all(Decimal(e[1]) % increment != 0 for e in refused)
    assert wait_for(lambda: _logged(daemon, "product_rules_read_again"), timeout=10)
    status = daemon.status()
    assert status["state"] == "ACTIVE", status.get("halt_detail")
    assert daemon.stop() == 0


def test_r2_an_exit_the_venue_keeps_refusing_backs_off_and_reduces_trading(run):
    daemon = run.start_daemon()
    wait_for(lambda: _held(run), timeout=120)
    refusing = run.venue.call(
        "POST",
        "/faults",
        {"kind": "http_4xx", "status": 400, "path_prefix": ORDERS, "method": "POST"},
    )
    status = wait_for(
        lambda: (s := daemon.status())["state"] == "REDUCING" and s, timeout=120, interval=0.2
    )
    assert status["halt_reason"] == "exit_rejected"
    product_id = status["halt_detail"].split(":")[0]
    refused = [e for e in _exits(run, product_id, 0) if e[0] == "REJECTED"]
    assert len(refused) >= 3
    gaps = [later[3] - earlier[3] for earlier, later in itertools.pairwise(refused)]
    # the first retry after 2 s, the next after 4 s: never once per exit check
    assert gaps[-2] >= 1.9 and gaps[-1] >= 3.9, gaps
    code, body = daemon.get("/readyz")
    assert code == 503 and f"exit for {product_id} refused" in body.decode(), body
    assert f'trader_exit_rejections_total{{product="{product_id}"}}' in daemon.metrics()
    assert 'trader_reductions_total{reason="exit_rejected"}' in daemon.metrics()
    # the venue takes orders again: the exit goes through, /readyz clears, REDUCING stays
    taking_again = time.time()
    run.venue.call("DELETE", f"/faults/{refusing['id']}")
    wait_for(
        lambda: [e for e in _exits(run, product_id, taking_again) if e[0] == "FILLED"],
        timeout=120,
        interval=0.2,
    )
    wait_for(lambda: f"exit for {product_id}" not in _readiness(daemon), timeout=30)
    assert daemon.status()["state"] == "REDUCING"
    run.resume()
    wait_for(lambda: daemon.status()["state"] == "ACTIVE", timeout=20)
    assert daemon.stop() == 0


def _readiness(daemon) -> str:
    return daemon.get("/readyz")[1].decode()


def test_ex4_rules_are_read_again_every_interval_without_a_refusal(run):
    """A change nothing has been refused by yet (a status flag, a size limit) reaches the
    daemon within `exchange.product_rules_interval_s`."""
    merge_yaml(run.home.config, {"exchange": {"product_rules_interval_s": 10}})
    daemon = run.start_daemon()
    product_id = daemon.status()["trading"]["products"][0]
    run.venue.call("POST", f"/products/{product_id}/rules", {"quote_min_size": "7"})
    run.venue.call("POST", f"/products/{product_id}/flags", {"limit_only": True})

    def changed() -> list[dict]:
        return [
            e
            for e in daemon.events()
            if e["event"] == "product_rules_changed" and e["product_id"] == product_id
        ]

    change = wait_for(changed, timeout=30, interval=0.2)[0]
    assert change["quote_min_size"].endswith("-> 7") and change["limit_only"] == "False -> True"
    assert not any(e["event"] == "product_rules_read_again" for e in daemon.events())
    assert daemon.stop() == 0


def _logged(daemon, event: str) -> list[dict]:
    return [e for e in daemon.events() if e["event"] == event]


def test_r2_an_exit_the_rules_make_unfillable_is_not_sent_and_reduces_trading(run):
    """A quote increment above the price: no sell price on the grid lies within the exit's
    cap (the limit rounds above the bid). Such an exit is not sent; it counts as a refusal
    - backoff, then REDUCING `exit_rejected` - never an IOC cancelled unfilled at every
    exit check."""
    daemon = run.start_daemon()
    product_id, _ = wait_for(lambda: _held(run), timeout=120)[0]
    fills = run.venue.call("GET", "/fills")["fills"]
    price = Decimal(next(f["price"] for f in fills if f["product_id"] == product_id))
    above = Decimal(1).scaleb(price.adjusted() + 1)  # the next power of ten above the price
    changed_at = time.time()
    run.venue.call("POST", f"/products/{product_id}/rules", {"quote_increment": str(above)})
    status = wait_for(
        lambda: (s := daemon.status())["state"] == "REDUCING" and s, timeout=120, interval=0.2
    )
    assert status["halt_reason"] == "exit_rejected", status
    assert status["halt_detail"].startswith(f"{product_id}:"), status
    code, body = daemon.get("/readyz")
    assert code == 503 and f"exit for {product_id} refused" in body.decode(), body
    exits = _exits(run, product_id, changed_at)
    # on the old grid the venue refuses (and the rules are read again); on the new one none
    # is sent: never an exit taken and cancelled unfilled at each check
    unfilled = [e for e in exits if e[0] in ("CANCELLED", "EXPIRED")]
    assert len(unfilled) < 3, exits
    unsent = [e for e in _logged(daemon, "ioc_not_sent") if e["product_id"] == product_id]
    assert unsent and "unfillable" in unsent[-1]["reason"], unsent
    assert len(unsent) <= 4, unsent  # backed off: 2 s, 4 s, 8 s ... not twice a second
    assert daemon.stop() == 0
