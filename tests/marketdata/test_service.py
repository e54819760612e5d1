"""EX-2 / S-1: the market-data service against the venue on an accelerated clock —
backfill, candles built only from complete minutes (equal to the venue's own), REST
repair after outages, REST quote fallback while the stream is down, honest data age."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from itertools import pairwise

import pytest
import structlog

from tests.exchange.support import adapter, sample
from trader.core.types import Candle
from trader.marketdata.service import MarketDataService, MarketDataSettings
from trader.ops.metrics import Metrics
from trader.sim.market.synthetic import SyntheticSource
from trader.sim.venue import SimConfig, SimVenue

SPEED = 30.0  # market seconds per real second: a minute every 2 s
PRODUCTS = ["BTC-USD", "ETH-USD"]
SETTINGS = MarketDataSettings(
    history=600, backfill_minutes=400, grace_s=12.0, tick_s=0.05, poll_interval_s=3.0
)


def fast_clock() -> Callable[[], float]:
    """Wall time at the start, then monotonic time × SPEED: a step of the machine's wall
    clock (NTP on a fresh machine) must not become a 30× jump of the market."""
    origin, started = time.time(), time.monotonic()
    return lambda: origin + (time.monotonic() - started) * SPEED


@asynccontextmanager
async def fast_venue(clock: Callable[[], float]) -> AsyncIterator[SimVenue]:
    config = SimConfig(products=2, tick_s=0.02, seed=11, start=clock())
    source = SyntheticSource(start=clock(), seed=11, products=2, trades_per_minute=240)
    async with SimVenue(config, clock=clock, source=source) as venue:
        yield venue


async def wait_for(check: Callable[[], bool], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


def stored(metrics: Metrics, source: str) -> float:
    return sample(metrics, "trader_candles_closed_total", source=source)


async def test_ex2_service_backfills_then_builds_closed_candles_equal_to_venue():
    clock = fast_clock()
    async with fast_venue(clock) as venue:
        venue.faults.add("ws_duplicate", channel="market_trades", probability=0.5)
        metrics = Metrics()
        async with adapter(venue, metrics=metrics, creds=False) as exchange:
            service = MarketDataService(exchange, PRODUCTS, metrics, settings=SETTINGS, clock=clock)
            closed_at: list[tuple[float, int]] = []
            service.subscribe_candles(lambda c: closed_at.append((clock(), c.start)))
            async with service:
                backfilled = list(service.closed_candles("BTC-USD"))
                assert len(backfilled) >= 300
                assert all(c.start + 60 <= clock() for c in backfilled)
                await wait_for(lambda: stored(metrics, "stream") >= 4, 15.0)
                assert service.stream_up and service.quote("BTC-USD") is not None
                assert service.data_age("BTC-USD") < 5 * SPEED * 0.2
                built = [
                    c for c in service.closed_candles("ETH-USD") if c.start > backfilled[-1].start
                ]
            truth = {
                c.start: c
                for c in await exchange.candles("ETH-USD", built[0].start, built[-1].start + 60)
            }
            assert [truth[c.start] for c in built] == built  # stream-built == venue's
            assert venue.faults.counts["ws_duplicate"] >= 3  # duplicates never counted
            assert all(at >= start + 60 for at, start in closed_at)
            starts = [c.start for c in service.closed_candles("BTC-USD")]
            assert starts == sorted(set(starts))


def _whole(candles: Sequence[Candle]) -> bool:
    starts = [c.start for c in candles]
    return len(starts) == 8 and starts == list(range(starts[0], starts[0] + 8 * 60, 60))


async def test_ex2_stream_outage_minutes_are_repaired_from_rest():
    clock = fast_clock()
    async with fast_venue(clock) as venue:
        metrics = Metrics()
        async with adapter(venue, metrics=metrics, creds=False) as exchange:
            service = MarketDataService(exchange, PRODUCTS, metrics, settings=SETTINGS, clock=clock)
            async with service:
                await wait_for(lambda: stored(metrics, "stream") >= 2, 15.0)
                repaired = sample(metrics, "trader_candle_repairs_total", outcome="repaired")
                venue.faults.close_websockets(1006)
                await wait_for(
                    lambda: (
                        sample(
                            metrics,
                            "trader_ws_reconnects_total",
                            stream="market",
                            reason="closed_1006",
                        )
                        >= 1
                    ),
                    5.0,
                )
                await wait_for(lambda: service.stream_up, 10.0)
                # the repair counter is shared by the products: wait until this product's
                # minutes across the outage are whole, not only until some repair happened
                await wait_for(
                    lambda: (
                        sample(metrics, "trader_candle_repairs_total", outcome="repaired")
                        > repaired
                        and stored(metrics, "stream") >= 4
                        and _whole(service.closed_candles("BTC-USD")[-8:])
                    ),
                    15.0,
                )
                candles = list(service.closed_candles("BTC-USD"))
            truth = {
                c.start: c
                for c in await exchange.candles(
                    "BTC-USD", candles[-8].start, candles[-1].start + 60
                )
            }
            assert candles[-8:] == [truth[c.start] for c in candles[-8:]]
            starts = [c.start for c in candles[-8:]]
            assert starts == list(range(starts[0], starts[0] + 8 * 60, 60))  # no hole


@pytest.mark.parametrize("creds", [True, False])
async def test_ex2_rest_fallback_while_stream_down_and_age_grows_when_all_fails(creds):
    clock = fast_clock()
    async with fast_venue(clock) as venue:
        metrics = Metrics()
        async with adapter(
            venue, metrics=metrics, creds=creds, ws_market_url="ws://127.0.0.1:9"
        ) as exchange:
            service = MarketDataService(exchange, PRODUCTS, metrics, settings=SETTINGS, clock=clock)
            async with service:
                await wait_for(
                    lambda: sample(metrics, "trader_market_data_polls_total", outcome="ok") >= 2,
                    10.0,
                )
                assert not service.stream_up and service.quote("ETH-USD") is not None
                assert service.data_age("ETH-USD") <= SETTINGS.poll_interval_s + 3.0
                await wait_for(lambda: stored(metrics, "rest") >= 2, 15.0)  # REST candles
                assert stored(metrics, "stream") == 0
                venue.faults.add("http_5xx", path_prefix="/api/v3/brokerage/")
                await asyncio.sleep(0.3)
                first = sample(metrics, "trader_market_data_age_seconds", product="ETH-USD")
                await asyncio.sleep(1.0)
                later = sample(metrics, "trader_market_data_age_seconds", product="ETH-USD")
                assert later > first + SPEED * 0.5  # freshness honestly degrades
                assert (
                    sample(
                        metrics,
                        "trader_ws_reconnects_total",
                        stream="market",
                        reason="connect_error_ConnectionRefusedError",
                    )
                    >= 1
                )


async def test_s1_background_backfill_keeps_the_store_in_order():
    clock = fast_clock()
    async with fast_venue(clock) as venue:
        metrics = Metrics()
        venue.faults.add(
            "latency", count=4, path_prefix="/api/v3/brokerage/market/products/", latency_ms=1500
        )  # a slow backfill
        settings = MarketDataSettings(
            history=600,
            backfill_minutes=400,
            grace_s=12.0,
            tick_s=0.05,
            backfill_in_background=True,
        )
        async with adapter(venue, metrics=metrics, creds=False) as exchange:
            service = MarketDataService(exchange, PRODUCTS, metrics, settings=settings, clock=clock)
            async with service:
                assert not service.backfilled.is_set()
                await wait_for(lambda: service.quote("BTC-USD") is not None, 5.0)
                assert not service.closed_candles("BTC-USD")  # nothing before backfill
                await asyncio.wait_for(service.backfilled.wait(), 10.0)
                await wait_for(lambda: stored(metrics, "stream") >= 2, 15.0)
                starts = [c.start for c in service.closed_candles("BTC-USD")]
            assert len(starts) > 300 and starts == sorted(set(starts))


async def test_ex3_service_runs_on_the_exchange_clock():
    clock = fast_clock()
    async with fast_venue(clock) as venue, adapter(venue, creds=False) as exchange:
        exchange.clock.offset_s = 120.0
        service = MarketDataService(exchange, PRODUCTS, Metrics(), settings=SETTINGS)
        assert service.data_age("BTC-USD", now=None) == float("inf")
        assert abs(service._clock() - (time.time() + 120.0)) < 0.5
        builder = service.live.builders["BTC-USD"]
        # minutes are exchange minutes: two minutes (the offset) ahead of the local minute,
        # or one if a local minute boundary passed since the service was built
        local_minute = int(time.time() - SETTINGS.grace_s) // 60 * 60
        assert builder.watermark - local_minute in (60, 120)


def unsubscribed(metrics: Metrics) -> float:
    return sample(metrics, "trader_venue_data_errors_total", kind="unsubscribed_product")


@pytest.mark.parametrize(
    ("channel", "rows"), [("ticker", "tickers"), ("market_trades", "trades")], ids=repr
)
async def test_ex2_stream_data_for_a_product_not_subscribed_is_counted_named_never_applied(
    channel, rows
):
    """The venue names a product nobody subscribed (here: the subscribed products' own rows
    renamed): nothing of it is applied, each product is named once, every message counted."""
    clock = fast_clock()
    async with fast_venue(clock) as venue:
        metrics = Metrics()
        settings = MarketDataSettings(history=60, backfill_minutes=0, tick_s=0.05)
        async with adapter(venue, metrics=metrics, creds=False) as exchange:
            service = MarketDataService(exchange, PRODUCTS, metrics, settings=settings, clock=clock)
            with structlog.testing.capture_logs() as logs:
                async with service:
                    venue.faults.add(
                        "ws_edit", channel=channel, rows=rows, field="product_id", value="ZZZ-USD"
                    )
                    await wait_for(lambda: unsubscribed(metrics) >= 5, 10.0)
    named = [e for e in logs if e["event"] == "market_data_unsubscribed_product"]
    assert [e["product"] for e in named] == ["ZZZ-USD"]
    assert service.quote("ZZZ-USD") is None and "ZZZ-USD" not in service.live.live_products
    assert "ZZZ-USD" not in service.live.books and service.closed_candles("ZZZ-USD") == ()


def missing_counted(metrics: Metrics) -> float:
    return sample(metrics, "trader_venue_data_errors_total", kind="missing_candles")


@pytest.mark.parametrize("asked_again_finds_them", [False, True])
async def test_ex2_hours_missing_from_the_backfill_are_asked_again_then_reported(
    asked_again_finds_them,
):
    """Two and a half hours of BTC-USD's candles left out of the venue's answer: asked for
    again once; still missing, they are named once, counted, and the restart listener told
    before any candle after them is stored (no minute invented across them); found on the
    second ask, they are stored like any other. ETH-USD, whole, is untouched."""
    clock = fast_clock()
    async with fast_venue(clock) as venue:
        end = int(clock()) // 60 * 60
        hole = (end - 300 * 60, end - 150 * 60)
        venue.faults.add(
            "row_drop_range",
            path_prefix="/api/v3/brokerage/market/products/BTC-USD/candles",
            rows="candles",
            field="start",
            low=hole[0],
            high=hole[1],
            count=1 if asked_again_finds_them else None,
        )
        metrics = Metrics()
        async with adapter(venue, metrics=metrics, creds=False) as exchange:
            service = MarketDataService(exchange, PRODUCTS, metrics, settings=SETTINGS, clock=clock)
            seen: list[tuple[str, int]] = []
            restarts: list[tuple[str, int, int]] = []
            service.subscribe_candles(lambda c: seen.append((c.product_id, c.start)))
            service.subscribe_restarts(lambda p, at: restarts.append((p, at, len(seen))))
            with structlog.testing.capture_logs() as logs:
                async with service:
                    btc = [c.start for c in service.closed_candles("BTC-USD")]
                    eth = [c.start for c in service.closed_candles("ETH-USD")]
    named = [e for e in logs if e["event"] == "market_data_candles_missing"]
    assert venue.faults.counts["row_drop_range"] >= (1 if asked_again_finds_them else 2)
    inside = [s for s in btc if hole[0] <= s < hole[1]]
    assert all(b - a == 60 for a, b in pairwise(eth))
    if asked_again_finds_them:
        assert len(inside) == 150 and not named and not restarts
        assert missing_counted(metrics) == 0
        return
    assert not inside and missing_counted(metrics) == 1
    assert [(e["product"], e["minutes"]) for e in named] == [("BTC-USD", 150)]
    [(product, at, stored_before)] = restarts
    first_after = min(s for s in btc if s >= hole[1])
    assert (product, at) == ("BTC-USD", first_after)
    assert all(s < at for p, s in seen[:stored_before] if p == "BTC-USD")
