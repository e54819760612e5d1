"""Prometheus metrics (OPS-5): one registry per daemon, every name documented in the README.

Later stages (adapter, risk, execution) add their metrics to the same `Metrics.registry`
through `Metrics.counter` / `gauge` / `histogram`, so there is never a second registry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
)

from trader.core.types import Mode, TradingState

T = TypeVar("T")

LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CYCLE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


disable_created_metrics()  # type: ignore[no-untyped-call]  # `_created` series double every counter and help nobody here


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._shared: dict[Callable[..., Any], Any] = {}
        self.up = self.gauge("trader_up", "1 while the daemon runs")
        self.info = Info(
            "trader_build", "version and mode of the running daemon", registry=self.registry
        )
        self.mode = self.gauge("trader_mode", "1 for the configured mode", ["mode"])
        self.kill_switch_active = self.gauge(
            "trader_kill_switch_active", "1 while the kill-switch file exists"
        )
        self.trading_state = self.gauge(
            "trader_trading_state", "1 for the current trading state", ["state"]
        )
        self.loop_lag = self.histogram(
            "trader_event_loop_lag_seconds", "event loop scheduling delay", buckets=LAG_BUCKETS
        )
        self.cycles = self.counter("trader_cycles", "decision cycles by outcome", ["status"])
        self.cycle_duration = self.histogram(
            "trader_cycle_duration_seconds", "duration of a whole cycle", buckets=CYCLE_BUCKETS
        )
        self.stage_duration = self.histogram(
            "trader_stage_duration_seconds",
            "duration of one pipeline stage",
            ["stage"],
            buckets=CYCLE_BUCKETS,
        )
        self.stage_errors = self.counter(
            "trader_stage_errors", "pipeline stage exceptions", ["stage"]
        )
        self.last_cycle = self.gauge(
            "trader_last_cycle_timestamp_seconds", "end time of the last finished cycle"
        )
        self.config_reloads = self.counter(
            "trader_config_reloads", "SIGHUP reloads by result", ["result"]
        )
        self.halts = self.counter("trader_halts", "transitions to HALTED by reason", ["reason"])
        self.reductions = self.counter(
            "trader_reductions", "transitions to REDUCING (a loss limit: exits only)", ["reason"]
        )
        self.state_writable = self.gauge(
            "trader_state_writable", "1 while the daemon's writes reach the state file"
        )
        self.state_write_failures = self.counter(
            "trader_state_write_failures", "writes refused by a lock another process holds"
        )
        self.state_file_ok = self.gauge(
            "trader_state_file_ok", "1 while the file at the state path is the one opened"
        )
        self.kill_switch_cancel_pending = self.gauge(
            "trader_kill_switch_cancel_pending",
            "1 while a halt's cancel-all has not completed (the venue did not answer yet)",
        )
        self.state_writable.set(1)
        self.state_file_ok.set(1)
        for status in ("OK", "FAILED", "HELD"):  # present from the start: rate() sees the first
            self.cycles.labels(status=status)

    def shared(self, factory: Callable[[Metrics], T]) -> T:
        """One group of metrics per registry: a part that is built again (a retried start)
        reuses its metrics instead of registering them twice."""
        if factory not in self._shared:
            self._shared[factory] = factory(self)
        found: T = self._shared[factory]
        return found

    def counter(self, name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(name, doc, labelnames=labels, registry=self.registry)

    def gauge(self, name: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, doc, labelnames=labels, registry=self.registry)

    def histogram(
        self, name: str, doc: str, labels: Sequence[str] = (), *, buckets: Sequence[float]
    ) -> Histogram:
        return Histogram(name, doc, labelnames=labels, buckets=buckets, registry=self.registry)

    def set_mode(self, mode: Mode) -> None:
        for each in Mode:
            self.mode.labels(mode=each.value).set(1 if each is mode else 0)

    def set_trading_state(self, state: TradingState) -> None:
        for each in TradingState:
            self.trading_state.labels(state=each.value).set(1 if each is state else 0)
