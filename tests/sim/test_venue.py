"""SIM-1 in-process venue: loopback binding, public attributes, audit endpoints, and
determinism (same seed and inputs → same fills)."""

from __future__ import annotations

import aiohttp
import pytest

from tests.sim.test_server_support import Rest, open_venue
from trader.core.clock import wall_clock
from trader.sim.venue import SimConfig, SimVenue

T0 = 1_786_000_000.0


async def _session_fills(seed: int) -> list[tuple]:
    clock = [T0]
    config = SimConfig(
        seed=seed,
        products=2,
        driver=False,
        start=T0,
        rate_limit_private=None,
        rate_limit_public=None,
    )
    async with (
        SimVenue(config, clock=lambda: clock[0]) as venue,
        aiohttp.ClientSession() as session,
    ):
        rest = Rest(venue, session)
        venue.step()
        bid, ask = await rest.best()
        await rest.limit_order("d-rest-buy", "BUY", "0.01", str(bid), post_only=True)
        await rest.limit_order("d-rest-sell", "SELL", "0.001", str(ask + 50))
        await rest.market_order("d-mkt", "BUY", base_size="0.02")
        for second in range(1, 301):
            clock[0] = T0 + second
            venue.step()
        _, body, _ = await rest.get("/orders/historical/fills", params={"limit": "1000"})
        _, orders, _ = await rest.get("/orders/historical/batch")
    fills = [
        (
            f["order_id"],
            f["trade_id"],
            f["price"],
            f["size"],
            f["commission"],
            f["trade_time"],
            f["liquidity_indicator"],
        )
        for f in body["fills"]
    ]
    states = [(o["client_order_id"], o["status"], o["filled_size"]) for o in orders["orders"]]
    return fills + states


async def test_sim1_same_seed_same_fills():
    first = await _session_fills(7)
    second = await _session_fills(7)
    assert first == second
    assert any(row[-1] == "MAKER" for row in first if len(row) == 7)
    assert first != await _session_fills(8)


async def test_sim1_venue_binds_loopback_and_exposes_urls():
    async with open_venue() as venue:
        assert venue.host == f"127.0.0.1:{venue.port}" and venue.port > 0
        assert venue.rest_url == f"http://{venue.host}/api/v3/brokerage"
        assert venue.ws_url == f"ws://{venue.host}"
        assert venue.engine.products() and venue.faults is not None
        assert abs(venue.now() - venue.market_now()) < 1


async def test_sim1_audit_endpoints_ledger_balances_fills():
    async with open_venue(driver=False) as venue, aiohttp.ClientSession() as session:
        venue.step()
        rest = Rest(venue, session)
        created = await rest.market_order("audit-1", "BUY", base_size="0.001")
        _, ledger, _ = await rest.get("/_sim/ledger", auth=False)
        row = ledger["orders"][0]
        assert row["client_order_id"] == "audit-1" and row["status"] == "FILLED"
        assert row["filled_size"] == "0.001" and row["order_id"] == created["order_id"]
        _, balances, _ = await rest.get("/_sim/balances", auth=False)
        btc = next(b for b in balances["balances"] if b["currency"] == "BTC")
        assert btc["available"] == "0.001"
        _, fills, _ = await rest.get("/_sim/fills", auth=False)
        assert [f["order_id"] for f in fills["fills"]] == [created["order_id"]]


@pytest.mark.parametrize("market", ["coinbase-minute", "binance-5m"])
async def test_sim1_replay_markets_serve_products_and_quotes(shared_data, market):
    config = SimConfig(market=market, replay_dir=shared_data, products=2, driver=False, speed=60.0)
    async with SimVenue(config, clock=wall_clock) as venue, aiohttp.ClientSession() as session:
        now = venue.market_now()
        applied = sum(venue.step(now + k) for k in range(10))
        assert applied > 0
        rest = Rest(venue, session)
        status, body, _ = await rest.get("/market/products", auth=False)
        assert status == 200 and body["num_products"] == 2
        bid, ask = await rest.best(body["products"][0]["product_id"])
        assert 0 < bid < ask


async def test_sim1_config_rejects_bad_settings(tmp_path):
    with pytest.raises(ValueError, match="market"):
        SimConfig(market="nasdaq")
    with pytest.raises(ValueError, match="replay_dir"):
        SimConfig(market="coinbase-minute")
    with pytest.raises(ValueError, match="synthetic"):
        SimConfig(market="ws-capture", replay_dir=tmp_path, trades_per_minute=60)
