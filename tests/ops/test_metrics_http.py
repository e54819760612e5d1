"""OPS-5: the metrics endpoint is valid Prometheus text with the documented names."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.support.daemon import wait_for

REQUIRED = {
    "trader_up",
    "trader_kill_switch_active",
    "trader_trading_state",
    "trader_event_loop_lag_seconds",
    "trader_cycles",
    "trader_cycle_duration_seconds",
    "trader_stage_duration_seconds",
    "trader_mode",
    "trader_last_cycle_timestamp_seconds",
}


def test_ops5_metrics_parse_as_prometheus_text_with_required_names(daemon_dir):
    daemon = daemon_dir.start()
    daemon.wait_started()
    wait_for(lambda: 'trader_cycles_total{status="OK"} 0.0' not in daemon.metrics(), timeout=5)
    wait_for(lambda: "trader_event_loop_lag_seconds_count 0.0" not in daemon.metrics(), timeout=5)
    families = {f.name: f for f in text_string_to_metric_families(daemon.metrics())}
    assert set(families) >= REQUIRED, REQUIRED - set(families)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert samples[("trader_up", ())] == 1
    assert samples[("trader_mode", (("mode", "DRY_RUN"),))] == 1
    assert samples[("trader_cycles_total", (("status", "OK"),))] >= 1
    assert samples[("trader_event_loop_lag_seconds_count", ())] >= 1
    code, body = daemon.get("/healthz")
    assert code == 200 and b'"ok":true' in body
    wait_for(lambda: daemon.get("/readyz")[0] == 200, timeout=60)
    assert daemon.stop() == 0


def test_ops5_listener_binds_loopback_by_default(daemon_dir):
    assert daemon_dir.app["metrics"]["host"] == "127.0.0.1"


def test_ops5_every_metric_name_is_documented_in_readme(repo_root: Path):
    from trader.daemon.trading.gauges import TradingMetrics
    from trader.exchange.metrics import adapter_metrics
    from trader.execution.metrics import ExecutionMetrics
    from trader.marketdata.metrics import market_data_metrics
    from trader.ops.metrics import Metrics

    readme = (repo_root / "README.md").read_text()
    metrics = Metrics()  # one registry: every part registers on it, as in the daemon
    adapter_metrics(metrics)
    market_data_metrics(metrics)
    ExecutionMetrics(metrics)
    TradingMetrics(metrics)
    names = {m.name for m in metrics.registry.collect()}
    missing = sorted(n for n in names if not re.search(rf"`{n}(_total|_info)?[`{{]", readme))
    assert not missing, f"metrics missing from README: {missing}"
