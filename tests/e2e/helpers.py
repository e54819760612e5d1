"""Small helpers shared by the end-to-end tests: the venue's control endpoint, metrics
samples, read-only SQLite queries and policy-file edits in a `DaemonDir`'s `config/`."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support.daemon import DaemonDir, DaemonProcess

API_SUFFIX = "/api/v3/brokerage"


def venue_root(daemon: DaemonProcess) -> str:
    """`http://127.0.0.1:PORT` of the embedded venue, from the daemon's `/status`."""
    url = daemon.status()["venue_url"]
    assert url and url.endswith(API_SUFFIX), url
    return str(url).removesuffix(API_SUFFIX)


def http_json(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def sim_get(venue: str, path: str) -> Any:
    code, body = http_json("GET", f"{venue}/_sim/{path}")
    assert code == 200, body
    return body


def sim_post(venue: str, path: str, body: dict[str, Any]) -> Any:
    code, answer = http_json("POST", f"{venue}/_sim/{path}", body)
    assert code == 200, answer
    return answer


def samples(metrics_text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample called `name` (a counter's `_total` included) with its labels."""
    found = []
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name:
                found.append((dict(sample.labels), float(sample.value)))
    return found


def metric(metrics_text: str, name: str, **labels: str) -> float:
    """Sum of the samples called `name` whose labels include `labels` (0 when none)."""
    return sum(
        value
        for sample_labels, value in samples(metrics_text, name)
        if all(sample_labels.get(k) == v for k, v in labels.items())
    )


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Rows from the daemon's SQLite file, read through a read-only connection."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def edit_policy(home: DaemonDir, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit one of the temp dir's `config/*.yaml` files in place."""
    path = home.root / "config" / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def relax_price_move_for_replay(signals: dict[str, Any]) -> None:
    """signals.yaml: a 0.3 % hourly move triggers, so the recorded minutes give proposals."""
    signals["price_move"]["threshold_60m_pct"] = 0.3


def relax_conviction(strategies: dict[str, Any]) -> None:
    """strategies.yaml: weak triggers still become proposals for the risk engine to judge."""
    strategies["rules"]["min_conviction"] = 0.2


def started_event(daemon: DaemonProcess) -> dict[str, Any]:
    return next(e for e in daemon.events() if e.get("event") == "daemon_started")
