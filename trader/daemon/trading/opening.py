"""Parts of the trading runtime's start: the listing times it needs, the market data
service it feeds from, and running independent start steps side by side."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from trader.config.loader import LoadedConfig
from trader.core.clock import Clock
from trader.core.timeframes import backfill_minutes
from trader.daemon.trading.venue_link import listing_times
from trader.desk.act import Actor
from trader.desk.cycle import STORE_HISTORY
from trader.exchange.interface import Venue
from trader.marketdata.service import MarketDataService, MarketDataSettings
from trader.ops.metrics import Metrics
from trader.pipeline.decide import DecisionCore
from trader.state.candle_log import CandleRecorder


async def read_listing_times(
    adapter: Venue,
    recorder: CandleRecorder,
    products: list[str],
    own_record: bool,
    clock: Clock,
) -> dict[str, float]:
    """When each product was listed: from the daemon's own record of this venue where it
    has one (`own_record`, PERF-7), the rest asked of the venue."""
    known = await recorder.listing_times() if own_record else {}
    asked = [pid for pid in products if pid not in known]
    return known | await listing_times(adapter, asked, clock())


def open_market_data(
    loaded: LoadedConfig,
    actor: Actor,
    products: list[str],
    metrics: Metrics,
    core: DecisionCore,
    recorder: CandleRecorder,
    own_record: bool,
) -> MarketDataService:
    """PAPER: market data flows through the paper exchange, which fills from it; the
    backfill covers the bars the strategies declared (STR-4), up to a week, from the
    daemon's own candle record first (PERF-7), then the venue."""
    least = MarketDataSettings().backfill_minutes
    md = MarketDataService(
        actor.exchange,
        products,
        metrics,
        settings=MarketDataSettings(
            history=STORE_HISTORY,
            backfill_minutes=backfill_minutes(core.registry.needs(), least),
            gaps=loaded.signals.missing_data.rule(),
        ),
        recorded=recorder.recorded_between if own_record else None,
    )
    actor.quote = md.quote
    return md


async def side_by_side(*jobs: Coroutine[Any, Any, None]) -> None:
    """Run `jobs` together; the first failure cancels the others and is raised as itself."""
    try:
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(job)
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
