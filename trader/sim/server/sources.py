"""Building the venue's pure half: market source, matching engine, candle history (SIM-1)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, cast

from trader.matching import MatchingEngine
from trader.matching.types import VenueSetup
from trader.sim.contract import CandleHistory, Engine, MarketSource
from trader.sim.market import SourceKind, SyntheticSource, build_source, candle_store_for


class SourceConfig(Protocol):
    @property
    def market(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def products(self) -> int: ...
    @property
    def speed(self) -> float: ...
    @property
    def replay_dir(self) -> Path | None: ...
    @property
    def trades_per_minute(self) -> float | None: ...


def build_market_source(config: SourceConfig, start: float) -> MarketSource:
    """The market source for `config.market` starting at `start` (epoch seconds)."""
    if config.market == "synthetic" and config.trades_per_minute is not None:
        return SyntheticSource(
            start=start,
            seed=config.seed,
            products=config.products,
            trades_per_minute=config.trades_per_minute,
        )
    return build_source(
        cast(SourceKind, config.market),
        start=start,
        seed=config.seed,
        products=config.products,
        data_dir=config.replay_dir,
        speed=config.speed,
    )


def build_engine(source: MarketSource, setup: VenueSetup) -> Engine:
    return MatchingEngine(source.products(), setup)


def build_history(source: MarketSource) -> CandleHistory:
    return candle_store_for(source)
