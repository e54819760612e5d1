"""Execution metrics (X-1..5, OPS-4), registered on the daemon's single registry."""

from __future__ import annotations

from prometheus_client import Counter

from trader.ops.metrics import Metrics

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ExecutionMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.orders = metrics.counter(
            "trader_orders", "intent state transitions by the state reached", ["state"]
        )
        self.open_orders = metrics.gauge("trader_open_orders", "own orders working at the venue")
        self.intents_unknown = metrics.gauge(
            "trader_intents_unknown", "intents SUBMITTING with no definite answer yet"
        )
        self.intents_unknown_age = metrics.gauge(
            "trader_intents_unknown_oldest_seconds", "age of the oldest SUBMITTING intent"
        )
        self.resends = metrics.counter(
            "trader_order_resends", "byte-identical resends to resolve an unknown outcome"
        )
        self.fills = metrics.counter("trader_fills", "fills recorded (deduplicated by trade id)")
        self.roundtrip = metrics.histogram(
            "trader_order_roundtrip_seconds",
            "create-order request to answer",
            buckets=LATENCY_BUCKETS,
        )
        self.cancel_all = metrics.histogram(
            "trader_cancel_all_seconds",
            "cancel-all start to no own open order left",
            buckets=LATENCY_BUCKETS,
        )
        self.foreign_orders = metrics.gauge(
            "trader_foreign_open_orders", "open orders at the venue not placed by this installation"
        )
        self.reconcile_mismatches = metrics.counter(
            "trader_reconcile_mismatches", "reconciliation differences beyond tolerance", ["kind"]
        )
        self.reconcile_mismatches.labels(kind="balance")  # present from the start
        self.exit_rejections = metrics.counter(
            "trader_exit_rejections", "exits the venue refused, by product", ["product"]
        )
        self.fills_missing = metrics.gauge(
            "trader_orders_fills_missing",
            "own finished orders whose reported fills are still not all stored past "
            "execution.fills_missing_after_s",
        )
        self._orders_by_state: dict[str, Counter] = {}

    def order_moved(self, state: str) -> None:
        """Count an intent reaching `state`. Each state's child is kept: `labels()` takes a
        lock and builds its key at every call."""
        child = self._orders_by_state.get(state)
        if child is None:
            child = self._orders_by_state[state] = self.orders.labels(state=state)
        child.inc()
