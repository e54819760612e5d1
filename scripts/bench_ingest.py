#!/usr/bin/env python3
"""PERF-2: WebSocket ingest throughput on one core.

Real `ticker` + `market_trades` frames from the recorded Coinbase capture
(`../shared/data/coinbase-ws-capture-2026/advanced-trade-btc-eth.jsonl.gz`, found relative
to the repository root) are parsed into typed events (orjson + slots classes, Decimal
money) and applied to the live quote book and candle builders — the daemon's own code
path (`decode_events` + `LiveMarket.apply`). A straightforward `json` + dict baseline
(json.loads, one dict per message, Decimal fields, dict-based quote and candle updates)
runs in the same process for comparison. Prints msgs/s (median of repeats), the ratio,
and the machine. Target: ≥ 300 000 msg/s.

    .venv/bin/python scripts/bench_ingest.py [--repeats 7] [--rounds 200]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import orjson  # noqa: E402

from trader.exchange.coinbase.decode import clear_decimal_cache, decode_events  # noqa: E402
from trader.marketdata.live import LiveMarket  # noqa: E402

CAPTURE = (
    REPO_ROOT.parent
    / "shared"
    / "data"
    / "coinbase-ws-capture-2026"
    / "advanced-trade-btc-eth.jsonl.gz"
)
CHANNELS = ('"channel":"ticker"', '"channel":"market_trades"')
TARGET = 300_000


def load_frames(path: Path) -> list[bytes]:
    frames: list[bytes] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("t") == "recv" and any(c in record["data"] for c in CHANNELS):
                frames.append(record["data"].encode())
    return frames


def daemon_path(frames: list[bytes], rounds: int) -> float:
    """msgs/s through orjson → typed events → LiveMarket (quotes + candle builders)."""
    loads, decode = orjson.loads, decode_events
    now = 1.0
    started = time.perf_counter()
    for _ in range(rounds):
        # a fresh state per round: replayed trade ids must not hit the duplicate filter
        apply = LiveMarket(["BTC-USD", "ETH-USD"], 0.0).apply
        clear_decimal_cache()
        for raw in frames:
            msg = loads(raw)
            for event in decode(msg["channel"], msg):
                apply(event, now)
    return rounds * len(frames) / (time.perf_counter() - started)


def baseline_path(frames: list[bytes], rounds: int) -> float:
    """msgs/s through json.loads + plain dicts (the straightforward way)."""
    quotes: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    for _ in range(rounds):
        candles: dict[tuple[str, int], dict[str, Any]] = {}
        seen: set[str] = set()
        for raw in frames:
            msg = json.loads(raw)
            for event in msg["events"]:
                for t in event.get("tickers", ()):
                    quotes[t["product_id"]] = {
                        "bid": Decimal(t["best_bid"]),
                        "ask": Decimal(t["best_ask"]),
                        "bid_size": Decimal(t["best_bid_quantity"]),
                        "ask_size": Decimal(t["best_ask_quantity"]),
                        "price": Decimal(t["price"]),
                        "time": msg["timestamp"],
                    }
                for t in event.get("trades", ()):
                    _baseline_trade(t, candles, seen)
    return rounds * len(frames) / (time.perf_counter() - started)


def _baseline_trade(
    t: dict[str, Any], candles: dict[tuple[str, int], dict[str, Any]], seen: set[str]
) -> None:
    if t["trade_id"] in seen:
        return
    seen.add(t["trade_id"])
    ts = datetime.fromisoformat(t["time"].replace("Z", "+00:00")).timestamp()
    key = (t["product_id"], int(ts) // 60 * 60)
    price, size = Decimal(t["price"]), Decimal(t["size"])
    bar = candles.get(key)
    if bar is None:
        candles[key] = {"open": price, "high": price, "low": price, "close": price, "volume": size}
        return
    bar["high"], bar["low"] = max(bar["high"], price), min(bar["low"], price)
    bar["close"] = price
    bar["volume"] += size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (for scripts/bench_all.py)"
    )
    args = parser.parse_args()
    if not CAPTURE.is_file():
        print(f"capture not found: {CAPTURE}", file=sys.stderr)
        return 2
    frames = load_frames(CAPTURE)
    runs = {
        name: [run(frames, args.rounds) for _ in range(args.repeats)]
        for name, run in (
            ("orjson_only", orjson_only),
            ("daemon", daemon_path),
            ("baseline", baseline_path),
        )
    }
    if args.json:
        figures = {f"{name}_msgs_per_s": {"samples": rates} for name, rates in runs.items()}
        print(json.dumps({"figures": figures, "frames": len(frames)}))
        return 0
    with_orjson_only, ours, base = (
        statistics.median(runs[k]) for k in ("orjson_only", "daemon", "baseline")
    )
    print(
        f"machine: {platform.platform()} | {platform.python_implementation()} "
        f"{platform.python_version()} | {platform.processor() or platform.machine()} | "
        f"cpu_count={os.cpu_count()}"
    )
    print(
        f"frames: {len(frames)} real ticker + market_trades frames x {args.rounds} rounds, "
        f"median of {args.repeats} repeats"
    )
    print(f"orjson.loads alone      : {with_orjson_only:12,.0f} msg/s")
    print(f"daemon ingest (PERF-2)  : {ours:12,.0f} msg/s")
    print(f"json + dict baseline    : {base:12,.0f} msg/s")
    print(f"ratio daemon / baseline : {ours / base:.2f}x")
    verdict = "meets" if ours >= TARGET else "BELOW"
    print(f"target {TARGET:,} msg/s: {verdict}")
    return 0


def orjson_only(frames: list[bytes], rounds: int) -> float:
    """msgs/s of `orjson.loads` alone (the ceiling for any orjson-based decoder)."""
    loads = orjson.loads
    started = time.perf_counter()
    for _ in range(rounds):
        for raw in frames:
            loads(raw)
    return rounds * len(frames) / (time.perf_counter() - started)


if __name__ == "__main__":
    raise SystemExit(main())
