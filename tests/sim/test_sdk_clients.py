"""SIM-1: a client written for Coinbase works against `trader sim` unchanged — the official
SDK (`coinbase-advanced-py` 1.8.4: RESTClient, WSClient, WSUserClient), in its own venv,
against a real `trader sim --tls` subprocess, trusting the venue's CA and nothing else.

The SDK's interpreter is TRADER_SDK_PYTHON (set by scripts/test, which prepares .venv-sdk
with scripts/sdk_venv; when set, an unusable one fails; `skip` leaves the test out), else
.venv-sdk; with neither (pytest run by hand) the test is skipped, naming how to prepare
it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.support.venue import start_venue

SCRIPT = REPO_ROOT / "tests" / "support" / "sdk_client.py"
SDK_VERSION = "1.8.4"

REST_CHECKS = {
    "time", "public_products", "public_product", "public_product_book", "public_candles",
    "public_market_trades", "candles", "market_trades", "accounts", "account", "products",
    "product", "product_book", "best_bid_ask", "transaction_summary", "portfolios",
    "portfolio_breakdown", "key_permissions", "rate_limit_headers", "preview_market",
    "preview_limit", "market_buy", "market_sell", "limit_ioc", "limit_fok", "limit_gtd",
    "stop_limit", "bracket", "limit_gtc", "duplicate_client_order_id", "get_order",
    "preview_edit", "edit_order", "list_orders_open", "cancel_orders", "list_orders", "fills",
    "close_position_spot", "get_order_unknown", "unknown_key_401", "unknown_product_404",
}  # fmt: skip
MARKET_CHECKS = {
    f"ws_{who}_{check}"
    for who in ("signed", "public")
    for check in (
        "ticker", "ticker_batch", "l2_data", "market_trades", "candles", "status", "heartbeats",
        "subscriptions_ack", "level2_sides", "unsubscribe", "sequence_num",
    )
}  # fmt: skip
USER_CHECKS = {
    f"ws_user_{who}_{check}"
    for who in ("filtered", "all")
    for check in ("snapshot", "parses", "order_updates", "product_filter", "ack", "sequence_num")
} | {"ws_user_unknown_key_error"}


def sdk_python() -> Path:
    """The SDK venv's interpreter, checked to hold the pinned SDK."""
    given = os.environ.get("TRADER_SDK_PYTHON")
    if given == "skip":
        pytest.skip("TRADER_SDK_PYTHON=skip: the official SDK is left out of this run")
    python = Path(given) if given else REPO_ROOT / ".venv-sdk" / "bin" / "python"
    if not python.exists():
        if given:
            pytest.fail(f"TRADER_SDK_PYTHON={given} does not exist (scripts/sdk_venv prepares it)")
        pytest.skip("the SDK venv is not prepared: run scripts/sdk_venv (scripts/test does)")
    version = "import importlib.metadata as m; print(m.version('coinbase-advanced-py'))"
    probe = subprocess.run([str(python), "-c", version], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0 or probe.stdout.strip() != SDK_VERSION:
        pytest.fail(f"{python} has no coinbase-advanced-py {SDK_VERSION}: {probe.stderr.strip()}")
    return python


def test_sim1_official_sdk_rest_and_websocket_work_unchanged(tmp_path: Path) -> None:
    python = sdk_python()
    venue = start_venue(tmp_path, seed=7, products=3, tls=True)
    try:
        host = venue.rest.split("//")[1].split("/")[0]
        env = {
            "PATH": os.environ.get("PATH", ""),
            "REQUESTS_CA_BUNDLE": str(venue.ca_file),
            "PYTHONWARNINGS": "ignore",
        }
        result = subprocess.run(
            [str(python), str(SCRIPT), host, str(venue.key_file)],
            cwd=SCRIPT.parent, env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip
    finally:
        venue.stop()
    checks = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0, result.stderr[-3000:]
    failed = [c for c in checks if not c["ok"]]
    assert not failed, json.dumps(failed, indent=1)
    assert [c["check"] for c in checks][-1] == "done"
    assert {c["check"] for c in checks} == REST_CHECKS | MARKET_CHECKS | USER_CHECKS | {"done"}
