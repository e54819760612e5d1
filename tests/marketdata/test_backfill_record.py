"""PERF-7, EX-2: a restart backfills from the daemon's own candle record and asks the venue
only for the minutes after it; a record that cannot be read, or a venue that fails, never
leaves the store with less than either source gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.exchange.support import adapter
from tests.marketdata.test_service import PRODUCTS, SETTINGS, fast_clock, fast_venue, stored
from trader.core.clock import Clock
from trader.core.types import Candle
from trader.marketdata.service import MarketDataService
from trader.ops.metrics import Metrics
from trader.sim.venue import SimVenue
from trader.state.candle_log import CandleRecorder
from trader.state.db import Database


async def _first_run(venue: SimVenue, recorder: CandleRecorder, clock: Clock) -> None:
    """A daemon's first start: backfilled from the venue, every candle recorded."""
    async with adapter(venue, creds=False) as exchange:
        service = MarketDataService(exchange, PRODUCTS, Metrics(), settings=SETTINGS, clock=clock)
        service.subscribe_candles(recorder.add)
        async with service:
            await recorder.flush(clock(), service.quotes())


async def _restart(
    venue: SimVenue, recorder: CandleRecorder, metrics: Metrics, clock: Clock
) -> dict[str, list[Candle]]:
    """The next start: backfilled from the record, then the venue; the closed candles."""
    async with adapter(venue, metrics=metrics, creds=False) as exchange:
        service = MarketDataService(
            exchange,
            PRODUCTS,
            metrics,
            settings=SETTINGS,
            clock=clock,
            recorded=recorder.recorded_between,
        )
        async with service:
            return {p: list(service.closed_candles(p)) for p in PRODUCTS}


async def _venue_truth(venue: SimVenue, pid: str, candles: list[Candle]) -> list[Candle]:
    async with adapter(venue, creds=False) as exchange:
        return await exchange.candles(pid, candles[0].start, candles[-1].start + 60)


@asynccontextmanager
async def recorded_venue(path: Path) -> AsyncIterator[tuple[SimVenue, CandleRecorder, Clock]]:
    """A venue and a state file holding what a first start recorded of it."""
    clock = fast_clock()
    db = await Database.open(path, clock)
    recorder = CandleRecorder(db, keep_days=7)
    try:
        async with fast_venue(clock) as venue:
            await _first_run(venue, recorder, clock)
            yield venue, recorder, clock
    finally:
        await db.close()


async def test_perf7_a_restart_reads_its_record_and_asks_only_for_what_followed(tmp_path):
    async with recorded_venue(tmp_path / "state.db") as (venue, recorder, clock):
        metrics = Metrics()
        backfilled = await _restart(venue, recorder, metrics, clock)
        assert stored(metrics, "record") >= 2 * (SETTINGS.backfill_minutes - 20)
        assert stored(metrics, "backfill") <= 2 * 20  # the minutes since the record
        for pid, candles in backfilled.items():
            assert candles == await _venue_truth(venue, pid, candles)


async def _damage(db: Database) -> None:
    await db.run(
        lambda conn: conn.execute(
            "UPDATE candles SET close = 'not a price' WHERE product_id = 'BTC-USD' "
            "AND start = (SELECT MAX(start) FROM candles WHERE product_id = 'BTC-USD')"
        )
    )


async def test_perf7_a_damaged_record_is_ignored_and_a_failing_venue_keeps_the_record(tmp_path):
    async with recorded_venue(tmp_path / "state.db") as (venue, recorder, clock):
        await _damage(recorder.db)  # BTC-USD: unreadable record, the venue serves it all
        venue.faults.add(
            "http_5xx", path_prefix="/api/v3/brokerage/market/products/ETH-USD/candles"
        )  # ETH-USD: the venue fails, the record is what there is
        backfilled = await _restart(venue, recorder, Metrics(), clock)
        btc, eth = backfilled["BTC-USD"], backfilled["ETH-USD"]
        venue.faults.clear()
        assert len(btc) >= SETTINGS.backfill_minutes - 20
        assert btc == await _venue_truth(venue, "BTC-USD", btc)
        assert len(eth) >= SETTINGS.backfill_minutes - 20  # the record, less what followed
        truth = {c.start: c for c in await _venue_truth(venue, "ETH-USD", eth)}
        assert all(truth[c.start] == c for c in eth)
