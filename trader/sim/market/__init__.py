"""Market data for the simulated venue (SIM-1): synthetic and replayed `MarketSource`s and
the `CandleStore` (`CandleHistory`). `build_source` picks a source by name. Every source has
a 1-minute `history` and a daily `daily_history` (see `daily.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from trader.sim.contract import MarketSource
from trader.sim.market.candles import GRANULARITIES, CandleStore
from trader.sim.market.daily import DAILY_DAYS
from trader.sim.market.recorded_sources import (
    CAPTURE_FILE,
    binance_source,
    coinbase_minute_source,
)
from trader.sim.market.replay import BarReplay
from trader.sim.market.synthetic import SyntheticSource
from trader.sim.market.ws_replay import WsCaptureSource

SourceKind = Literal["synthetic", "coinbase-minute", "binance-5m", "ws-capture"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("synthetic", "coinbase-minute", "binance-5m", "ws-capture")


def build_source(
    kind: SourceKind,
    *,
    start: float,
    seed: int,
    products: int,
    data_dir: Path | None = None,
    speed: float = 1.0,
) -> MarketSource:
    """A market source by name (SIM-1). Replays need `data_dir` (the recorded data root,
    `../shared/data` in this project) and honour `speed` (1.0, 60.0, ..., `math.inf`); the
    synthetic market runs on the venue clock and ignores `speed` (its rate is set by
    `SyntheticSource(trades_per_minute=...)`). `seed` only matters where randomness is used:
    the synthetic market and the ws-capture's synthetic pre-history."""
    if kind == "synthetic":
        return SyntheticSource(start=start, seed=seed, products=products)
    if data_dir is None:
        raise ValueError(f"market source {kind!r} needs data_dir (the recorded data root)")
    if kind == "coinbase-minute":
        return coinbase_minute_source(data_dir, start=start, speed=speed, products=products)
    if kind == "binance-5m":
        return binance_source(data_dir, start=start, speed=speed, products=products)
    if kind == "ws-capture":
        return WsCaptureSource(
            data_dir / CAPTURE_FILE, start=start, speed=speed, seed=seed, products=products
        )
    raise ValueError(f"unknown market source {kind!r}; expected one of {SOURCE_KINDS}")


def candle_store_for(source: MarketSource) -> CandleStore:
    """A `CandleStore` seeded with the source's 1-minute history for every product; its
    daily history (`source.daily_history`) is loaded lazily, on a product's first ONE_DAY
    request."""
    return CandleStore(
        {p.product_id: source.history(p.product_id) for p in source.products()},
        daily=source.daily_history,
    )


__all__ = [
    "DAILY_DAYS",
    "GRANULARITIES",
    "SOURCE_KINDS",
    "BarReplay",
    "CandleStore",
    "SourceKind",
    "SyntheticSource",
    "WsCaptureSource",
    "build_source",
    "candle_store_for",
]
