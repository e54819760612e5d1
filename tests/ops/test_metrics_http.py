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


def test_ops5_the_listener_cannot_be_tied_up_or_flood_the_log(daemon_dir):
    """Connections that never finish a request are closed within seconds, no more than the
    cap stay open, malformed requests are a few WARNING lines without tracebacks — and
    /healthz answers throughout."""
    import socket
    import time

    from trader.ops.http import IDLE_S, MAX_CONNECTIONS

    daemon = daemon_dir.start()
    port = daemon.wait_started()
    idle = []
    for n in range(200):
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        if n % 2:
            conn.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        idle.append(conn)
    assert daemon.get("/healthz")[0] == 200
    open_now = sum(1 for c in idle if not _closed(c, wait=0.05))
    assert open_now <= MAX_CONNECTIONS
    closed_by = time.monotonic() + IDLE_S + 2  # each read waits until then, and a second
    assert all(_closed(c, wait=max(0.0, closed_by - time.monotonic()) + 1.0) for c in idle)
    for _ in range(30):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as bad:
            bad.sendall(b"GET / HTTP/9.9\r\nBroken header line\r\n\r\n")
            bad.recv(1024)
    assert daemon.get("/healthz")[0] == 200
    out = daemon.output()
    warnings = [e for e in daemon.events() if e["event"] == "operator_listener_request_refused"]
    assert 1 <= len(warnings) <= 3 and "Traceback" not in out
    for conn in idle:
        conn.close()
    assert daemon.stop() == 0


def _closed(conn, wait: float) -> bool:
    conn.settimeout(wait)
    try:
        return conn.recv(1024) == b""
    except TimeoutError:
        return False
    except OSError:
        return True
    finally:
        conn.settimeout(5)
