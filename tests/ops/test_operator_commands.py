"""OPS-7, R-3, X-5: the operator's commands `reset-high-water-mark` and `reconcile`."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

from tests.support.venue import start_venue


def test_r3_reset_high_water_mark_is_audited_and_only_by_the_operator(daemon_dir):
    assert daemon_dir.cli("reset-high-water-mark").returncode == 1  # no state yet
    daemon = daemon_dir.start()
    daemon.wait_started()
    assert daemon.stop() == 0
    with sqlite3.connect(daemon_dir.data / "trader.db") as conn:
        conn.execute("UPDATE risk_state SET high_water_mark = '123456.78'")
    result = daemon_dir.cli("reset-high-water-mark", "--note", "new capital")
    assert result.returncode == 0 and "123456.78" in result.stdout
    with sqlite3.connect(daemon_dir.data / "trader.db") as conn:
        assert conn.execute("SELECT high_water_mark FROM risk_state").fetchone()[0] is None
        actor, payload = conn.execute(
            "SELECT actor, payload FROM audit_events WHERE kind = 'hwm_reset'"
        ).fetchone()
    assert actor.startswith("operator:")
    assert json.loads(payload) == {"old_high_water_mark": "123456.78", "note": "new capital"}


def test_x5_reconcile_command_against_the_venue_reports_foreign_orders(daemon_dir, tmp_path):
    venue = start_venue(tmp_path, seed=4, products=2)
    try:
        daemon_dir.write_app({"exchange": venue.exchange_section()})
        env = {"CB_API_KEY_FILE": str(venue.key_file)}
        first = daemon_dir.cli("reconcile", env=env)
        assert first.returncode == 0, first.stderr
        report = json.loads(first.stdout)["report"]
        assert report["ok"] and report["foreign_open"] == [] and report["mismatches"] == []
        quote = json.loads(_get(venue.rest + "/market/product_book?product_id=BTC-USD&limit=1"))
        bid = float(quote["pricebook"]["bids"][0]["price"])
        _manual_order(venue, f"{bid * 0.8:.2f}")
        second = daemon_dir.cli("reconcile", env=env)
        report = json.loads(second.stdout)["report"]
        assert len(report["foreign_open"]) == 1 and report["own_open"] == 0
    finally:
        venue.stop()


def test_x5_reconcile_with_a_key_the_venue_refuses_is_one_line_exit_1(daemon_dir, tmp_path):
    """A well-formed key the venue does not know (HTTP 401): one line naming the venue's
    answer, exit 1, no traceback."""
    venue = start_venue(tmp_path, seed=4, products=2)
    try:
        daemon_dir.write_app({"exchange": venue.exchange_section()})
        stranger = venue.refused_key_file(tmp_path)
        result = daemon_dir.cli("reconcile", env={"CB_API_KEY_FILE": str(stranger)})
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("reconcile failed: the venue answered")
        assert "401" in lines[0]
    finally:
        venue.stop()


def test_x5_reconcile_command_refuses_for_the_embedded_venue(daemon_dir):
    result = daemon_dir.cli("reconcile")
    assert result.returncode == 4 and "embedded venue" in result.stderr


def _get(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def _manual_order(venue, price: str) -> None:
    """Someone places an order by hand with the same key (a foreign order for the daemon)."""
    import asyncio

    from trader.config.app import ExchangeConfig
    from trader.config.secrets import load_credentials
    from trader.core.orders import OrderKind, OrderRequest
    from trader.core.types import Side
    from trader.exchange.coinbase.exchange import CoinbaseExchange
    from trader.ops.metrics import Metrics

    async def place() -> None:
        config = ExchangeConfig(
            venue="coinbase",
            read_only=False,
            rest_url=venue.rest,
            ws_market_url=venue.ws,
            ws_user_url=venue.ws,
        )
        exchange = CoinbaseExchange(
            config, load_credentials({"CB_API_KEY_FILE": str(venue.key_file)}), Metrics()
        )
        try:
            await exchange.create_order(
                OrderRequest(
                    "by-hand-1",
                    "BTC-USD",
                    Side.BUY,
                    OrderKind.LIMIT_GTC,
                    base_size=Decimal("0.001"),
                    limit_price=Decimal(price),
                    post_only=True,
                )
            )
        finally:
            await exchange.close()

    asyncio.run(place())


def test_ex3_doctor_measures_the_venue_clock_offset(daemon_dir, tmp_path):
    venue = start_venue(tmp_path, seed=6, products=1)
    try:
        daemon_dir.write_app({"exchange": venue.exchange_section()})
        venue.call("POST", "/clock", {"offset_s": 2.0})
        result = daemon_dir.cli("doctor")
        line = next(row for row in result.stdout.splitlines() if " venue: " in row)
        assert line.startswith("WARN") and "reachable" in line
        offset_ms = float(line.split("clock offset ")[1].split(" ms")[0])
        assert 1900 < offset_ms < 2100
    finally:
        venue.stop()
    assert not daemon_dir.data.exists()  # doctor creates nothing
