"""Adapter metrics (EX-1, EX-2, EX-3) on the daemon's single registry (OPS-5).

Created once per `Metrics` object and shared by every adapter instance using it, so a
second adapter (or a reconnecting one) never registers a name twice.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from prometheus_client import Counter, Gauge, Histogram

from trader.ops.metrics import Metrics

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class AdapterMetrics:
    requests: Counter
    latency: Histogram
    headroom: Gauge
    retries: Counter
    ws_reconnects: Counter
    ws_gaps: Counter
    ws_frames: Counter
    ws_bad_frames: Counter
    clock_offset: Gauge
    clock_failures: Counter
    venue_data_errors: Counter


_CACHE: weakref.WeakKeyDictionary[Metrics, AdapterMetrics] = weakref.WeakKeyDictionary()


def adapter_metrics(metrics: Metrics) -> AdapterMetrics:
    found = _CACHE.get(metrics)
    if found is None:
        found = _CACHE[metrics] = _create(metrics)
    return found


def _create(m: Metrics) -> AdapterMetrics:
    return AdapterMetrics(
        requests=m.counter(
            "trader_exchange_requests",
            "REST requests by endpoint and outcome",
            ["endpoint", "outcome"],
        ),
        latency=m.histogram(
            "trader_exchange_request_seconds",
            "REST request latency per attempt",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
        ),
        headroom=m.gauge(
            "trader_rate_limit_headroom",
            "free fraction of a client-side token bucket",
            ["bucket"],
        ),
        retries=m.counter(
            "trader_exchange_retries",
            "REST retries by endpoint and reason",
            ["endpoint", "reason"],
        ),
        ws_reconnects=m.counter(
            "trader_ws_reconnects",
            "WebSocket reconnects by stream and reason",
            ["stream", "reason"],
        ),
        ws_gaps=m.counter(
            "trader_ws_sequence_gaps", "sequence_num gaps (resubscribed)", ["stream"]
        ),
        ws_frames=m.counter(
            "trader_ws_frames",
            "WebSocket frames by stream and disposition",
            ["stream", "disposition"],
        ),
        ws_bad_frames=m.counter(
            "trader_ws_bad_frames", "frames that could not be decoded", ["stream", "channel"]
        ),
        clock_offset=m.gauge(
            "trader_clock_offset_seconds", "exchange clock minus local clock (EX-3)"
        ),
        clock_failures=m.counter(
            "trader_clock_offset_failures",
            "measurements of the exchange clock that failed (the last offset stays, EX-3)",
        ),
        venue_data_errors=m.counter(
            "trader_venue_data_errors",
            "venue answers refused: malformed fills, fills contradicting their order",
            ["kind"],
        ),
    )
