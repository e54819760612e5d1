"""SIM-1: a freshly started venue already has a trade history, like the real one — the
`products/{id}/ticker` trades and the `market_trades` WS snapshot are served at once (not
after the market source's first prints), consistent with the REST candles, and the live
trades that follow never reuse their ids."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import aiohttp

from tests.sim.test_server_support import Rest, channel, open_venue, ws_connect
from trader.core.clock import wall_clock
from trader.sim.venue import SimConfig, SimVenue


async def test_sim1_fresh_venue_serves_recent_trades_at_once():
    # quiet market: the source itself would print nothing for hours
    async with (
        open_venue(driver=False, trades_per_minute=0.001) as venue,
        aiohttp.ClientSession() as session,
    ):
        rest = Rest(venue, session)
        status, body, _ = await rest.get(
            "/market/products/BTC-USD/ticker", auth=False, params={"limit": "100"}
        )
        assert status == 200 and len(body["trades"]) == 100
        trades = body["trades"]
        times = [t["time"] for t in trades]
        assert times == sorted(times, reverse=True)  # newest first
        assert len({t["trade_id"] for t in trades}) == 100
        now = venue.market_now()
        candles = await _minute_candles(rest, int(now) - 3600, int(now))
        for trade in trades:  # each print lies inside its REST minute candle
            candle = candles[int(_epoch(trade["time"])) // 60 * 60]
            assert Decimal(candle["low"]) <= Decimal(trade["price"]) <= Decimal(candle["high"])
            assert _epoch(trade["time"]) <= now
        async with ws_connect(venue, session) as ws:
            await ws.send(
                {"type": "subscribe", "channel": "market_trades", "product_ids": ["ETH-USD"]}
            )
            snapshot = await ws.until(channel("market_trades"), timeout=3)
        event = snapshot["events"][0]
        assert event["type"] == "snapshot" and len(event["trades"]) == 100
        assert {t["product_id"] for t in event["trades"]} == {"ETH-USD"}


async def test_sim1_live_trade_ids_continue_after_the_recent_ones():
    async with (
        open_venue(driver=False, trades_per_minute=600) as venue,
        aiohttp.ClientSession() as session,
    ):
        rest = Rest(venue, session)
        before = await _ticker_ids(rest)
        venue.step(venue.market_now() + 30)
        after = await _ticker_ids(rest)
        live = [i for i in after if i not in before]
        assert live and min(live) > max(before)


async def test_sim1_ws_capture_venue_serves_the_recorded_snapshot_trades(shared_data):
    config = SimConfig(
        market="ws-capture", replay_dir=shared_data, speed=50.0, products=2, driver=False
    )
    async with SimVenue(config, clock=wall_clock) as venue, aiohttp.ClientSession() as session:
        status, body, _ = await Rest(venue, session).get(
            "/market/products/BTC-USD/ticker", auth=False, params={"limit": "100"}
        )
    recorded = {t.trade_id for t in venue.source.recent_trades("BTC-USD")}
    assert status == 200 and len(body["trades"]) == 100
    assert {t["trade_id"] for t in body["trades"]} == recorded
    assert "1068572090" in recorded  # the capture's newest BTC-USD snapshot trade


async def _ticker_ids(rest: Rest) -> list[int]:
    status, body, _ = await rest.get("/products/BTC-USD/ticker", params={"limit": "100"})
    assert status == 200
    return [int(t["trade_id"]) for t in body["trades"]]


async def _minute_candles(rest: Rest, start: int, end: int) -> dict[int, dict]:
    params = {"start": str(start), "end": str(end), "granularity": "ONE_MINUTE"}
    status, body, _ = await rest.get("/products/BTC-USD/candles", params=params)
    assert status == 200
    return {int(c["start"]): c for c in body["candles"]}


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
