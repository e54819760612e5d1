"""R-2 in the daemon: one ticker whose bid is 100 times below the market does not sell a
held position. The real daemon in LIVE against a standalone simulated venue (`trader sim`
process) of one product; the venue's `ws_edit` fault sends one glitched ticker, its
`ws_empty` fault then keeps the product quiet (tickers arrive empty, in sequence), so the
glitch stays the latest quote the exit checks read. The stop-loss waits for confirmation
(`exit_unconfirmed`, counted); once real tickers flow again the wait ends, nothing sold."""

from __future__ import annotations

import sqlite3
import time
from decimal import Decimal

from tests.support.chaos import ChaosRun
from tests.support.daemon import DaemonProcess, wait_for
from tests.support.venue import merge_yaml

EXITS = {"stop_loss_pct": 2, "take_profit_pct": 50, "max_hold_minutes": 600}
QUIET_S = 6.0  # the glitch stays the latest quote this long (well inside exit_confirm_max_s)


def _stop_sells(run: ChaosRun) -> int:
    with sqlite3.connect(run.state_path, timeout=10) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM intents WHERE side = 'SELL' "
            "AND reason IN ('stop_loss', 'trailing_stop')"
        ).fetchone()
    return int(row[0])


def _named(daemon: DaemonProcess, event: str) -> list[dict]:
    return [e for e in daemon.events() if e.get("event") == event]


def _one_product_run(tmp_path) -> ChaosRun:
    run = ChaosRun(tmp_path, seed=51, products=1)
    config = run.home.root / "config"
    merge_yaml(config / "policy.yaml", {"outlier_sigma_k": 8})  # the shipped band
    merge_yaml(
        config / "strategies.yaml",
        {
            "rules": {
                "sell_on_bearish_trigger": False,
                "default_exits": EXITS,
                "exits_by_trigger": {
                    kind: EXITS
                    for kind in (
                        "price_move_15m",
                        "price_move_60m",
                        "volume_spike",
                        "breakout",
                        "momentum",
                    )
                },
            }
        },
    )
    return run


def test_r2_one_glitched_bid_on_a_quiet_product_does_not_fire_the_stop_loss(tmp_path):
    run = _one_product_run(tmp_path)
    try:
        daemon = run.start_daemon()
        held = wait_for(lambda: daemon.status()["positions"], timeout=120, interval=0.2)
        product, cost = held[0]["product_id"], Decimal(held[0]["average_cost"])
        glitch = (cost / 100).quantize(Decimal("0.01"))
        # quiet first, then one glitched ticker: the edit goes before the emptying rule, so
        # no real ticker can come between the glitch and the quiet
        quiet = run.venue.call("POST", "/faults", {"kind": "ws_empty", "channel": "ticker"})
        run.venue.call(
            "POST",
            "/faults",
            {"kind": "ws_edit", "channel": "ticker", "rows": "tickers", "field": "best_bid",
             "value": str(glitch), "count": 1},
        )  # fmt: skip
        wait_for(
            lambda: _named(daemon, "exit_unconfirmed") or _stop_sells(run), timeout=30, interval=0.1
        )
        assert _stop_sells(run) == 0, "the stop-loss sold into one glitched bid"
        time.sleep(QUIET_S)  # the exit checks read the glitch again and again
        assert _stop_sells(run) == 0, "the stop-loss sold into one glitched bid"
        waiting = _named(daemon, "exit_unconfirmed")
        assert len(waiting) == 1, waiting  # one line for the episode
        assert waiting[0]["product_id"] == product and waiting[0]["reason"] == "stop_loss"
        assert waiting[0]["price"] == str(glitch) and waiting[0]["last_close"] != "None"
        assert ".." in waiting[0]["band"]  # the band as prices: LOW..HIGH
        counted = f'trader_exits_unconfirmed_total{{product="{product}",reason="stop_loss"}} 1.0'
        assert counted in daemon.metrics()
        run.venue.call("DELETE", f"/faults/{quiet['id']}")  # real tickers again
        ended = wait_for(
            lambda: _named(daemon, "exit_confirmation_ended"), timeout=30, interval=0.1
        )
        assert ended[0]["outcome"] == "dismissed", ended
        assert _stop_sells(run) == 0
        assert daemon.status()["state"] == "ACTIVE"
        assert daemon.stop() == 0
    finally:
        run.stop()
