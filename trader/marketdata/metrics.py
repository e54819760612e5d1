"""Market-data metrics (EX-2, OPS-5) on the daemon's single registry, created once."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from prometheus_client import Counter, Gauge

from trader.ops.metrics import Metrics


@dataclass(frozen=True, slots=True)
class MarketDataMetrics:
    age: Gauge
    candles: Counter
    repairs: Counter
    polls: Counter
    stream_up: Gauge


_CACHE: weakref.WeakKeyDictionary[Metrics, MarketDataMetrics] = weakref.WeakKeyDictionary()


def market_data_metrics(metrics: Metrics) -> MarketDataMetrics:
    found = _CACHE.get(metrics)
    if found is None:
        found = _CACHE[metrics] = MarketDataMetrics(
            age=metrics.gauge(
                "trader_market_data_age_seconds",
                "seconds since market data of a product was last confirmed",
                ["product"],
            ),
            candles=metrics.counter(
                "trader_candles_closed", "closed 1-minute candles stored, by source", ["source"]
            ),
            repairs=metrics.counter(
                "trader_candle_repairs", "REST repairs of partial minutes, by outcome", ["outcome"]
            ),
            polls=metrics.counter(
                "trader_market_data_polls",
                "REST quote polls while the stream is down, by outcome",
                ["outcome"],
            ),
            stream_up=metrics.gauge(
                "trader_market_stream_up", "1 while the market WebSocket is subscribed"
            ),
        )
    return found
